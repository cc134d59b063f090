{
  "targets": [
    {
      "target_name": "nl_lvs",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/files.cc",
        "native/netlink_open.cc",
        "native/netns.cc",
        "native/packet.cc",
        "native/socket.cc",
        "native/stats.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-pthread"],
      "libraries": ["<!@(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)"]
    }
  ]
}
