// SPDX-License-Identifier: Apache-2.0
//
// The least work a weight transform must do, as a yardstick for BENCHMARKS.md: map the
// input, find one range over all of it, and write each value as an eight-bit code
// (quantize_weights) or as the float at the centre of its level (round_weights), through a
// temporary file renamed into place. It treats the whole file as a single float tensor, so
// it parses nothing, checks nothing and keeps no graph. Each thread encodes its share in
// small pieces into a buffer that stays in cache and writes each piece where it belongs.
// A real tool cannot be faster than this on the same machine; how close it comes is the
// question.
//
//   cc -O3 -mavx2 -ffast-math -pthread -o /tmp/weight_floor Scripts/weight_floor.c
//   /tmp/weight_floor quantize|round IN OUT [THREADS=2]
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { maximum_threads = 16, piece = 1 << 16 };

typedef struct {
  const float *values;
  size_t begin, end;
  float lowest, highest;  // the part's range, from scan
  float minimum, scale;   // the whole range, for encode
  int rounding, output;
  int failed;
} Part;

static void *scan(void *argument) {
  Part *part = argument;
  float lowest = 0, highest = 0;
  for (size_t i = part->begin; i < part->end; i++) {
    float value = part->values[i];
    lowest = value < lowest ? value : lowest;
    highest = value > highest ? value : highest;
  }
  part->lowest = lowest;
  part->highest = highest;
  return NULL;
}

static void *encode(void *argument) {
  static _Thread_local float buffer[piece];
  Part *part = argument;
  uint8_t *codes = (uint8_t *)buffer;
  float step = 1 / part->scale;
  for (size_t start = part->begin; start < part->end; start += piece) {
    size_t count = part->end - start < piece ? part->end - start : piece;
    for (size_t i = 0; i < count; i++) {
      float code = (part->values[start + i] - part->minimum) * part->scale + 0.5f;
      code = code < 0 ? 0 : code > 255 ? 255 : code;
      if (part->rounding)
        buffer[i] = part->minimum + (float)(int)code * step;
      else
        codes[i] = (uint8_t)code;
    }
    size_t size = part->rounding ? sizeof(float) : 1;
    if (pwrite(part->output, buffer, count * size, (off_t)(start * size)) != (ssize_t)(count * size))
      part->failed = 1;
  }
  return NULL;
}

static void run(void *(*body)(void *), Part *parts, int count) {
  pthread_t threads[maximum_threads];
  for (int i = 1; i < count; i++) pthread_create(&threads[i], NULL, body, &parts[i]);
  body(&parts[0]);
  for (int i = 1; i < count; i++) pthread_join(threads[i], NULL);
}

static int fail(const char *what, const char *path) {
  perror(path);
  fprintf(stderr, "weight_floor: cannot %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4 || (strcmp(argv[1], "quantize") != 0 && strcmp(argv[1], "round") != 0)) {
    fprintf(stderr, "usage: weight_floor quantize|round IN OUT [THREADS]\n");
    return 2;
  }
  int rounding = strcmp(argv[1], "round") == 0;
  int count = argc > 4 ? atoi(argv[4]) : 2;
  if (count < 1 || count > maximum_threads) count = 2;
  int input = open(argv[2], O_RDONLY);
  struct stat info;
  if (input < 0 || fstat(input, &info) != 0) return fail("read the input", argv[2]);
  size_t elements = (size_t)info.st_size / sizeof(float);
  if (elements == 0) return fail("use an input this small", argv[2]);
  const float *values = mmap(NULL, (size_t)info.st_size, PROT_READ, MAP_PRIVATE, input, 0);
  if (values == MAP_FAILED) return fail("map the input", argv[2]);

  Part parts[maximum_threads];
  for (int i = 0; i < count; i++) {
    // Shares start on whole pieces, so that no two threads write the same page.
    size_t pieces = (elements + piece - 1) / piece;
    size_t begin = pieces * i / count * piece, end = pieces * (i + 1) / count * piece;
    parts[i] = (Part){.values = values, .begin = begin, .end = end < elements ? end : elements,
                      .rounding = rounding};
  }
  run(scan, parts, count);
  float lowest = 0, highest = 0;
  for (int i = 0; i < count; i++) {
    lowest = parts[i].lowest < lowest ? parts[i].lowest : lowest;
    highest = parts[i].highest > highest ? parts[i].highest : highest;
  }
  char temporary[4096];
  snprintf(temporary, sizeof temporary, "%s.tmp", argv[3]);
  int output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (output < 0) return fail("write the output", temporary);
  for (int i = 0; i < count; i++) {
    parts[i].minimum = lowest;
    parts[i].scale = highest > lowest ? 255.0f / (highest - lowest) : 1.0f;
    parts[i].output = output;
  }
  run(encode, parts, count);
  for (int i = 0; i < count; i++)
    if (parts[i].failed) return fail("write the output", temporary);
  if (close(output) != 0) return fail("write the output", temporary);
  if (rename(temporary, argv[3]) != 0) return fail("rename the output", argv[3]);
  return 0;
}
