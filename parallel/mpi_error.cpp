#include "parallel/mpi_error.h"

namespace tf::parallel {

void throw_mpi_error(int code, const std::string& what) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  int error_class = 0;
  MPI_Error_class(code, &error_class);
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw CommError(what + ": MPI error class " + std::to_string(error_class) + ": " +
                  std::string(text, length));
}

}  // namespace tf::parallel
