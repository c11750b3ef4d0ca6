/*
 * Reading a media socket natively: recvmmsg(2) into one arena shared by every
 * reader of the process, then one JS call per batch.
 *
 * Why: Node delivers each datagram as its own Buffer (a new backing store, GC
 * work) with an address object, through its UDP wrap and dgram's listener.
 * The packet path decrypts and forwards synchronously and copies what it keeps
 * (the retransmission ring), so a reused arena suffices: JS must be done with a
 * slot when the batch callback returns.
 *
 * Node keeps owning the socket: it still sends on it and closes it. The reader
 * polls a dup(2) of its fd (libuv allows one watcher per fd number) after the
 * socket's own reading was stopped (handle.recvStop()), and closes the dup
 * when stopped; the JS side stops it when the socket closes.
 */
#define _GNU_SOURCE /* recvmmsg */
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "reader.h"

/* Each slot's meta: length (-1: truncated), port, IPv4 address (host order), spare. */
#define META_WORDS 4
/* A reader gives the loop back after this many full batches. */
#define MAX_ROUNDS 4

static struct {
  uint8_t *data;
  int32_t *meta;
  int slots;
  int slot_size;
  napi_ref data_ref;
  napi_ref meta_ref;
  struct mmsghdr *msgs;
  struct iovec *iovs;
  struct sockaddr_in *addrs;
} arena;

typedef struct {
  uv_poll_t poll;
  int fd;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int stopped;
  /* The poll handle is closed (its callback ran) / the JS External was collected: free when both. */
  int closed;
  int finalized;
} Reader;

/* readerArena(data: Buffer, meta: Int32Array, slotSize, slots): once per process. */
static napi_value ReaderArena(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data, *meta;
  size_t data_len, meta_len;
  napi_typedarray_type type;
  napi_value ab;
  size_t ab_offset;
  int32_t slot_size, slots;
  if (argc < 4 || napi_get_buffer_info(env, argv[0], &data, &data_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &meta_len, &meta, &ab, &ab_offset) != napi_ok || type != napi_int32_array ||
      napi_get_value_int32(env, argv[2], &slot_size) != napi_ok || napi_get_value_int32(env, argv[3], &slots) != napi_ok) {
    return throw_error(env, "readerArena(data, meta, slotSize, slots): bad arguments");
  }
  if (arena.data) return throw_error(env, "readerArena: already set");
  if (slots < 1 || slots > 1024 || slot_size < 64 || (size_t)slot_size * slots > data_len || meta_len < (size_t)slots * META_WORDS) {
    return throw_error(env, "readerArena: sizes do not fit");
  }
  arena.msgs = calloc(slots, sizeof(struct mmsghdr));
  arena.iovs = calloc(slots, sizeof(struct iovec));
  arena.addrs = calloc(slots, sizeof(struct sockaddr_in));
  if (!arena.msgs || !arena.iovs || !arena.addrs) return throw_error(env, "out of memory");
  arena.data = data;
  arena.meta = meta;
  arena.slots = slots;
  arena.slot_size = slot_size;
  /* The arena lives as long as the process: keep its JS objects alive. */
  napi_create_reference(env, argv[0], 1, &arena.data_ref);
  napi_create_reference(env, argv[1], 1, &arena.meta_ref);
  for (int i = 0; i < slots; i++) {
    arena.iovs[i].iov_base = arena.data + (size_t)i * slot_size;
    arena.iovs[i].iov_len = slot_size;
  }
  return NULL;
}

static void on_closed(uv_handle_t *handle) {
  Reader *r = handle->data;
  close(r->fd);
  napi_delete_reference(r->env, r->callback);
  napi_async_destroy(r->env, r->async);
  r->closed = 1;
  if (r->finalized) free(r);
}

static void stop(Reader *r) {
  if (r->stopped) return;
  r->stopped = 1;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, on_closed);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  Reader *r = handle->data;
  if (r->stopped || status < 0) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  for (int round = 0; round < MAX_ROUNDS && !r->stopped; round++) {
    for (int i = 0; i < arena.slots; i++) {
      struct msghdr *h = &arena.msgs[i].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_name = &arena.addrs[i];
      h->msg_namelen = sizeof(struct sockaddr_in);
      h->msg_iov = &arena.iovs[i];
      h->msg_iovlen = 1;
    }
    int n = recvmmsg(r->fd, arena.msgs, arena.slots, MSG_DONTWAIT, NULL);
    if (n <= 0) break; /* EAGAIN: drained; errors (ICMP) are Node's to ignore too */
    for (int i = 0; i < n; i++) {
      int32_t *m = arena.meta + i * META_WORDS;
      m[0] = (arena.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)arena.msgs[i].msg_len;
      m[1] = ntohs(arena.addrs[i].sin_port);
      m[2] = (int32_t)ntohl(arena.addrs[i].sin_addr.s_addr);
    }
    napi_value callback, recv, result;
    napi_get_reference_value(env, r->callback, &callback);
    napi_get_global(env, &recv); /* MakeCallback needs an object receiver */
    napi_value count = int32_value(env, n);
    if (napi_make_callback(env, r->async, recv, callback, 1, &count, &result) == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
      break;
    }
    if (n < arena.slots) break;
  }
  napi_close_handle_scope(env, scope);
}

static void finalize_reader(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Reader *r = data;
  r->finalized = 1;
  if (r->closed) free(r);
  else stop(r); /* the close callback frees it */
}

/* readerStart(fd, callback(count)) → External; reads a dup of fd until readerStop. */
static napi_value ReaderStart(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    return throw_error(env, "readerStart(fd, callback): bad arguments");
  }
  if (!arena.data) return throw_error(env, "readerStart: call readerArena first");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_error(env, "readerStart: no event loop");
  int dup_fd = dup(fd);
  if (dup_fd < 0) return throw_error(env, "readerStart: dup failed");
  Reader *r = calloc(1, sizeof(Reader));
  if (!r) {
    close(dup_fd);
    return throw_error(env, "out of memory");
  }
  r->fd = dup_fd;
  r->env = env;
  if (uv_poll_init(loop, &r->poll, dup_fd) != 0) {
    close(dup_fd);
    free(r);
    return throw_error(env, "readerStart: cannot poll the socket");
  }
  r->poll.data = r;
  napi_value name;
  napi_create_string_utf8(env, "muster.udpReader", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->async);
  napi_create_reference(env, argv[1], 1, &r->callback);
  /* The socket's own handle keeps the loop alive; the reader does not need to. */
  uv_unref((uv_handle_t *)&r->poll);
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  napi_value external;
  napi_create_external(env, r, finalize_reader, NULL, &external);
  return external;
}

/* readerStop(reader): idempotent. */
static napi_value ReaderStop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Reader *r;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&r) != napi_ok) return throw_error(env, "readerStop(reader): bad arguments");
  stop(r);
  return NULL;
}

/*
 * receiveBuffer(fd, bytes) → the socket's receive buffer afterwards, in bytes.
 * One shared port takes what hundreds of sockets' buffers used to absorb
 * while the event loop is busy (a burst of DTLS handshakes, a GC pause), but
 * SO_RCVBUF is capped at net.core.rmem_max. SO_RCVBUFFORCE passes the cap
 * where the process may (root, CAP_NET_ADMIN); else SO_RCVBUF gets what the
 * cap allows.
 */
static napi_value ReceiveBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, bytes;
  if (argc < 2 || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &bytes) || fd < 0 || bytes < 0) {
    return throw_error(env, "receiveBuffer(fd, bytes): bad arguments");
  }
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  int actual = 0;
  socklen_t length = sizeof actual;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &length);
  return int32_value(env, actual);
}

void register_reader(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"readerArena", NULL, ReaderArena, NULL, NULL, NULL, napi_default, NULL},
      {"readerStart", NULL, ReaderStart, NULL, NULL, NULL, napi_default, NULL},
      {"readerStop", NULL, ReaderStop, NULL, NULL, NULL, napi_default, NULL},
      {"receiveBuffer", NULL, ReceiveBuffer, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
