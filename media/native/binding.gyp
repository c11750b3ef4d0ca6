{
  "targets": [
    {
      "target_name": "muster_packet",
      "sources": ["src/packet.c", "src/reader.c", "src/send.c"],
      "cflags": ["-O2", "-Wall", "-Wno-deprecated-declarations"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
