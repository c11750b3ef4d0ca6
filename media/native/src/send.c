/*
 * Sending, native: sendto(2) straight on the fd of a UDP socket Node owns,
 * and a batch of datagrams sent with one sendmmsg(2).
 *
 * Why: dgram.send adds a request object, libuv's queue checks and, for every
 * destination, a lookup answered on the next tick.
 *
 * Why a batch: with one port per worker (WebRtcServer.ts), one read batch of
 * up to 64 datagrams turns into one forwarded datagram per subscriber, all on
 * the same socket. One system call for them amortises the syscall entry and,
 * on loopback and on VMs, the receiver wake-up that sendto charges to the
 * sender: the first datagram to a sleeping process pays it, the rest find it
 * awake. The queue copies each datagram (the JS side reuses its output buffer
 * for the next packet) and holds datagrams of one fd at a time: a datagram
 * for another fd flushes the queue first.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"
#include "send.h"

#define OUT_SLOTS 128
#define OUT_SLOT_SIZE 1600

static struct {
  int fd;
  int count;
  uint32_t dropped;
  uint8_t data[OUT_SLOTS][OUT_SLOT_SIZE];
  struct mmsghdr msgs[OUT_SLOTS];
  struct iovec iovs[OUT_SLOTS];
  struct sockaddr_in addrs[OUT_SLOTS];
} out = {.fd = -1};

/* The arguments of sendTo and queueSend: (fd, buf, offset, length, port, ipv4). */
typedef struct {
  int32_t fd;
  uint8_t *data; /* buf + offset */
  int32_t length;
  struct sockaddr_in to;
} Datagram;

/* Reads the arguments into *d; 0 after throwing (name: the function, for the message). */
static int read_datagram(napi_env env, napi_callback_info info, const char *name, Datagram *d) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t offset, port;
  uint32_t ip;
  uint8_t *buf;
  size_t buf_len;
  char message[64];
  if (argc < 6 || !get_i32(env, argv[0], &d->fd) || !get_buffer(env, argv[1], &buf, &buf_len) || !get_i32(env, argv[2], &offset) ||
      !get_i32(env, argv[3], &d->length) || !get_i32(env, argv[4], &port) || napi_get_value_uint32(env, argv[5], &ip) != napi_ok) {
    snprintf(message, sizeof message, "%s: bad arguments", name);
    throw_error(env, message);
    return 0;
  }
  if (offset < 0 || d->length < 0 || (size_t)offset + d->length > buf_len) {
    snprintf(message, sizeof message, "%s: out of bounds", name);
    throw_error(env, message);
    return 0;
  }
  d->data = buf + offset;
  memset(&d->to, 0, sizeof d->to);
  d->to.sin_family = AF_INET;
  d->to.sin_port = htons((uint16_t)port);
  d->to.sin_addr.s_addr = htonl(ip);
  return 1;
}

/* One datagram now: bytes sent, or -errno. */
static int32_t send_now(const Datagram *d) {
  ssize_t sent;
  do sent = sendto(d->fd, d->data, (size_t)d->length, MSG_DONTWAIT, (const struct sockaddr *)&d->to, sizeof d->to);
  while (sent < 0 && errno == EINTR);
  return sent < 0 ? -errno : (int32_t)sent;
}

/* Sends what is queued; a datagram the kernel refuses is dropped, as sendto would lose it. */
static void flush(void) {
  int at = 0;
  while (at < out.count) {
    int n = sendmmsg(out.fd, out.msgs + at, (unsigned)(out.count - at), MSG_DONTWAIT);
    if (n > 0) {
      at += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      out.dropped += (uint32_t)(out.count - at); /* socket buffer full: the rest cannot go now */
      break;
    } else {
      out.dropped++; /* this one datagram failed (an ICMP error reported late, say): skip it */
      at++;
    }
  }
  out.count = 0;
}

/*
 * sendTo(fd, buf, offset, length, port, ipv4) → bytes sent, or -errno.
 * -EAGAIN means the socket buffer is full: the caller queues through Node.
 */
static napi_value SendTo(napi_env env, napi_callback_info info) {
  Datagram d;
  if (!read_datagram(env, info, "sendTo", &d)) return NULL;
  return int32_value(env, send_now(&d));
}

/*
 * queueSend(fd, buf, offset, length, port, ipv4) → 0 when queued; for a
 * datagram larger than a slot, what sendTo would return (sent directly).
 */
static napi_value QueueSend(napi_env env, napi_callback_info info) {
  Datagram d;
  if (!read_datagram(env, info, "queueSend", &d)) return NULL;
  if (d.fd < 0) return throw_error(env, "queueSend: out of bounds");
  if (out.count > 0 && (out.fd != d.fd || out.count == OUT_SLOTS)) flush();
  if (d.length > OUT_SLOT_SIZE) {
    flush(); /* keep order with what is queued */
    return int32_value(env, send_now(&d));
  }
  int i = out.count++;
  out.fd = d.fd;
  memcpy(out.data[i], d.data, (size_t)d.length);
  out.addrs[i] = d.to;
  out.iovs[i].iov_base = out.data[i];
  out.iovs[i].iov_len = (size_t)d.length;
  memset(&out.msgs[i], 0, sizeof out.msgs[i]);
  out.msgs[i].msg_hdr.msg_name = &out.addrs[i];
  out.msgs[i].msg_hdr.msg_namelen = sizeof out.addrs[i];
  out.msgs[i].msg_hdr.msg_iov = &out.iovs[i];
  out.msgs[i].msg_hdr.msg_iovlen = 1;
  return int32_value(env, 0);
}

/* flushSends() → datagrams dropped since the last call (socket buffer full, or refused). */
static napi_value FlushSends(napi_env env, napi_callback_info info) {
  (void)info;
  if (out.count > 0) flush();
  napi_value result;
  napi_create_uint32(env, out.dropped, &result);
  out.dropped = 0;
  return result;
}

void register_send(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sendTo", NULL, SendTo, NULL, NULL, NULL, napi_default, NULL},
      {"queueSend", NULL, QueueSend, NULL, NULL, NULL, napi_default, NULL},
      {"flushSends", NULL, FlushSends, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_set_named_property(env, exports, "EAGAIN", int32_value(env, -EAGAIN));
}
