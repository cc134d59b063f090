/*
 * runwall [-a] -o FILE -- COMMAND [ARGS...]
 * Runs COMMAND (stdin/stdout/stderr inherited) and writes (-a: appends) one
 * JSON line to FILE: its wall time in milliseconds (monotonic clock, fork to reap), its
 * peak RSS in KiB (wait4's rusage) and its exit status. GNU time prints wall
 * time to 10 ms only; single operations need better.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  const char *out = NULL;
  const char *mode = "w";
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "-a") == 0) mode = "a";
    else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--") == 0) { i++; break; }
    else break;
  }
  if (!out || i >= argc) {
    fprintf(stderr, "usage: runwall [-a] -o FILE -- COMMAND [ARGS...]\n");
    return 2;
  }
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 2; }
  if (pid == 0) {
    execvp(argv[i], argv + i);
    perror(argv[i]);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 2; }
  double wall = now_ms() - t0;
  FILE *f = fopen(out, mode);
  if (!f) { perror(out); return 2; }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  fprintf(f, "{\"wall_ms\":%.3f,\"maxrss_kb\":%ld,\"status\":%d,\"user_ms\":%.3f,\"sys_ms\":%.3f}\n", wall, ru.ru_maxrss, code,
          ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3, ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3);
  fclose(f);
  return code;
}
