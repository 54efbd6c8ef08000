{
  "targets": [
    {
      "target_name": "cabine_libcamera",
      "sources": ["src/addon.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")", "<!@(pkg-config --cflags-only-I libcamera | sed s/-I//g)"],
      "libraries": ["<!@(pkg-config --libs libcamera)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
