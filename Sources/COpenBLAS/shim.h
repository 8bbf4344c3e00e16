// OpenBLAS's CBLAS interface (Debian's libopenblas-dev, found through pkg-config
// `openblas`): GraphEval's convolution and matrix-product kernels call cblas_sgemm.
#include <cblas.h>
