/*
 * Loads a release library the way PHP's FFI does (dlopen, then the symbols by name) and calls
 * the exports that need no configuration: check-tarball.sh runs it for the library this machine
 * cannot load itself, under qemu-user, when that and the architecture's glibc are installed.
 *   probe LIBRARY  ->  "abi=5 version=0.1.0 panic_status=11 panic_kind=panic"
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: probe LIBRARY\n");
    return 2;
  }
  void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "probe: dlopen: %s\n", dlerror());
    return 1;
  }
  uint32_t (*abi_version)(void) = (uint32_t (*)(void))dlsym(library, "entra_abi_version");
  const char *(*version)(void) = (const char *(*)(void))dlsym(library, "entra_version");
  int32_t (*selftest_panic)(char **) = (int32_t (*)(char **))dlsym(library, "entra_selftest_panic");
  void (*string_free)(char *) = (void (*)(char *))dlsym(library, "entra_string_free");
  if (abi_version == NULL || version == NULL || selftest_panic == NULL || string_free == NULL) {
    fprintf(stderr, "probe: a symbol is missing\n");
    return 1;
  }
  /* A panic must unwind to the C boundary (zig's unwinder, not libgcc_s) and come back as JSON. */
  char *json = NULL;
  int32_t status = selftest_panic(&json);
  int contained = json != NULL && strstr(json, "\"kind\":\"panic\"") != NULL;
  printf("abi=%u version=%s panic_status=%d panic_kind=%s\n", abi_version(), version(), status,
         contained ? "panic" : "missing");
  string_free(json);
  return contained ? 0 : 1;
}
