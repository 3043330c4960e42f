/* MPI_Allreduce float32 sum, nccl-tests style: warm-ups, timed iterations, busbw with the
 * all_reduce factor 2(n-1)/n. Used by bench/collectives.sh as the Open MPI reference.
 *
 *   mpi_allreduce [BYTES [ITERS [WARMUP]]]      defaults: 64 MiB, 5, 2
 *
 * Rank 0 prints one line:
 *   MPI_ALLREDUCE bytes B nranks N iters I time_us T algbw_GBps A busbw_GBps X wrong W
 * time = max over ranks of the mean per-iteration time (as nccl-tests); wrong = elements that
 * differ from the expected sum, over all ranks. Exit status 1 when wrong > 0.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, n = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  const long long bytes = argc > 1 ? atoll(argv[1]) : 64LL << 20;
  const int iters = argc > 2 ? atoi(argv[2]) : 5;
  const int warmup = argc > 3 ? atoi(argv[3]) : 2;
  if (bytes <= 0 || iters <= 0 || warmup < 0) {
    if (rank == 0) fprintf(stderr, "usage: mpi_allreduce [BYTES [ITERS [WARMUP]]]\n");
    MPI_Finalize();
    return 2;
  }
  const long long count = bytes / (long long)sizeof(float);
  float* in = malloc((size_t)count * sizeof(float));
  float* out = malloc((size_t)count * sizeof(float));
  if (!in || !out) {
    fprintf(stderr, "rank %d: out of memory\n", rank);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  /* Small integers: every partial sum is exact in float32. */
  for (long long i = 0; i < count; ++i) in[i] = (float)((i + rank) % 7 - 3);

  for (int i = 0; i < warmup; ++i) MPI_Allreduce(in, out, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  for (int i = 0; i < iters; ++i) MPI_Allreduce(in, out, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  const double mine = (MPI_Wtime() - t0) / iters;
  double worst = 0;
  MPI_Allreduce(&mine, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

  long long wrong = 0, wrong_all = 0;
  for (long long i = 0; i < count; ++i) {
    double expect = 0;
    for (int r = 0; r < n; ++r) expect += (double)((i + r) % 7 - 3);
    if ((double)out[i] != expect) ++wrong;
  }
  MPI_Reduce(&wrong, &wrong_all, 1, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);

  if (rank == 0) {
    const double algbw = (double)(count * (long long)sizeof(float)) / 1e9 / worst;
    const double busbw = algbw * 2.0 * (n - 1) / n;
    printf("MPI_ALLREDUCE bytes %lld nranks %d iters %d time_us %.1f algbw_GBps %.6f busbw_GBps %.6f wrong %lld\n",
           count * (long long)sizeof(float), n, iters, worst * 1e6, algbw, busbw, wrong_all);
    fflush(stdout);
  }
  free(in);
  free(out);
  MPI_Finalize();
  return wrong_all > 0 && rank == 0 ? 1 : 0;
}
