// The runner of tabtune's cpu measurer (targets/cpu): it loads one
// kernel's shared object and runs it on a memory image that it shares with
// the measurer through a file, one command at a time.
//
//   runner KERNEL.so IMAGE OFFSET...
//
// OFFSETs are the byte offsets of the kernel's arguments in the image:
// one per tensor, then the scratch area's. On start it prints
// "scratch N" (the kernel's kernel_scratch_bytes) or "error MESSAGE" and
// exits 3. Then it reads commands from stdin and answers each with a line:
//
//   load      read IMAGE into memory (64-byte aligned)        -> ok
//   run       call the kernel once                             -> ok
//   save      write the memory back to IMAGE                   -> ok
//   time N    call the kernel N times in a row                 -> t SECONDS
//
// SECONDS come from the monotonic clock. A kernel that crashes kills the
// runner; one that hangs is killed by the measurer.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *mem;
static size_t size;

static int transfer(const char *path, int save) {
  int fd = open(path, save ? O_WRONLY : O_RDONLY);
  if (fd < 0) return -1;
  if (!save) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    if (mem == NULL || (size_t)st.st_size != size) {
      free(mem);
      size = (size_t)st.st_size;
      if (posix_memalign((void **)&mem, 64, size ? size : 64) != 0) return -1;
    }
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = save ? pwrite(fd, mem + done, size - done, (off_t)done) : pread(fd, mem + done, size - done, (off_t)done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  return close(fd);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    printf("error usage: runner KERNEL.so IMAGE OFFSET...\n");
    return 3;
  }
  void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!so) {
    printf("error %s\n", dlerror());
    return 3;
  }
  void (*kernel)(void **) = (void (*)(void **))dlsym(so, "kernel_args");
  const long *scratch = (const long *)dlsym(so, "kernel_scratch_bytes");
  if (!kernel || !scratch) {
    printf("error the shared object does not define kernel_args and kernel_scratch_bytes\n");
    return 3;
  }
  int nargs = argc - 3;
  size_t *offsets = calloc((size_t)nargs, sizeof *offsets);
  void **args = calloc((size_t)nargs, sizeof *args);
  for (int i = 0; i < nargs; i++) offsets[i] = (size_t)strtoull(argv[3 + i], NULL, 10);
  printf("scratch %ld\n", *scratch);
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "load", 4) == 0 || strncmp(line, "save", 4) == 0) {
      if (transfer(argv[2], line[0] == 's') != 0) {
        printf("error %s: %s\n", argv[2], strerror(errno));
        return 3;
      }
      for (int i = 0; i < nargs; i++) args[i] = mem + offsets[i];
      printf("ok\n");
    } else if (strncmp(line, "run", 3) == 0) {
      kernel(args);
      printf("ok\n");
    } else if (strncmp(line, "time ", 5) == 0) {
      long n = strtol(line + 5, NULL, 10);
      struct timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      for (long i = 0; i < n; i++) kernel(args);
      clock_gettime(CLOCK_MONOTONIC, &b);
      printf("t %.17g\n", (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec));
    } else {
      printf("error unknown command %s", line);
      return 3;
    }
    fflush(stdout);
  }
  return 0;
}
