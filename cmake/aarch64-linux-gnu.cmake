# Cross-compiling trit for 64-bit ARM Linux on a Debian/Ubuntu x86-64 host (scripts/test-arm64.sh):
# the g++-aarch64-linux-gnu toolchain, the arm64 (multiarch) -dev packages of the dependencies, and
# qemu-user to run what was built (ctest runs every test binary through CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Libraries and pkg-config files from the arm64 multiarch folders only; header-only packages
# (nlohmann-json, CLI11) are architecture-independent and found in /usr as usual.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
# -L /: the arm64 loader and libc of the multiarch packages (/lib/ld-linux-aarch64.so.1), which
# match each other. The cross toolchain's own copy in /usr/aarch64-linux-gnu is another build of
# glibc; its loader with the multiarch libc hangs in pthread_create.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /)
