# LibTorch for the main project and the fuzz project: the one LibTorch the project supports, the
# version scripts/requirements.txt pins (PyTorch from the Python package index, the same on CI,
# developers' machines and the GPU machine).
#
# Where it comes from, first match wins:
#   1. Torch_DIR or CMAKE_PREFIX_PATH given to CMake (tests/gpu/run.sh passes the local PyTorch's
#      prefix), or the TORCH_DIR environment variable: a LibTorch root or its share/cmake/Torch;
#   2. the project's Python environment (scripts/python-env.sh; make installs it);
#   3. the python3 on PATH that has torch (a cluster's PyTorch module).
# Its CUDA build needs the CUDA toolkit at configure time (nvcc of the same major version): found
# under /usr/local/cuda or on PATH. TORCH_CUDA_ARCH_LIST defaults to 9.0 (the H200): without a GPU,
# LibTorch's auto-detection picks architectures nvcc 13 rejects.
#
# Call after find_package(Protobuf) and find_package(gRPC): Torch's CMake config otherwise defines
# a dummy protobuf::libprotobuf target.

get_filename_component(TF_SCRIPTS_DIR ${CMAKE_CURRENT_LIST_DIR}/../scripts ABSOLUTE)
file(STRINGS ${TF_SCRIPTS_DIR}/requirements.txt TF_TORCH_PIN REGEX "^torch==")
string(REGEX REPLACE "^torch==([0-9.]+).*" "\\1" TF_TORCH_VERSION "${TF_TORCH_PIN}")

# tf_torch_prefix_of(PYTHON OUT): torch's share/cmake under PYTHON's site-packages, found without
# importing torch (which would load its CUDA libraries); empty when PYTHON has no torch.
function(tf_torch_prefix_of python out)
  set(${out} "" PARENT_SCOPE)
  if(NOT EXISTS ${python})
    return()
  endif()
  execute_process(
    COMMAND ${python} -c "import importlib.util as u, os; s = u.find_spec('torch'); print(os.path.join(s.submodule_search_locations[0], 'share', 'cmake') if s else '')"
    OUTPUT_VARIABLE prefix OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(prefix AND EXISTS ${prefix}/Torch/TorchConfig.cmake)
    set(${out} ${prefix} PARENT_SCOPE)
  endif()
endfunction()

# The project's Python environment's python3 (whether or not it exists yet): the tests that compare
# with the reference libraries and the GPU script's build step run with it too.
execute_process(COMMAND ${TF_SCRIPTS_DIR}/python-env.sh python
                OUTPUT_VARIABLE TF_ENV_PYTHON OUTPUT_STRIP_TRAILING_WHITESPACE)

if(DEFINED Torch_DIR AND DEFINED CACHE{TF_TORCH_FROM})
  # A reconfigure: Torch_DIR is cached from the first run, which said where it came from.
elseif(DEFINED Torch_DIR OR CMAKE_PREFIX_PATH)
  set(TF_TORCH_FROM "Torch_DIR/CMAKE_PREFIX_PATH")
elseif(DEFINED ENV{TORCH_DIR})
  if(EXISTS $ENV{TORCH_DIR}/share/cmake/Torch/TorchConfig.cmake)
    set(Torch_DIR $ENV{TORCH_DIR}/share/cmake/Torch)
  else()
    set(Torch_DIR $ENV{TORCH_DIR})
  endif()
  set(TF_TORCH_FROM "TORCH_DIR=$ENV{TORCH_DIR}")
else()
  tf_torch_prefix_of(${TF_ENV_PYTHON} TF_TORCH_PREFIX)
  if(TF_TORCH_PREFIX)
    set(TF_TORCH_FROM "the project's Python environment")
  else()
    find_program(TF_SYSTEM_PYTHON python3)
    if(TF_SYSTEM_PYTHON)
      tf_torch_prefix_of(${TF_SYSTEM_PYTHON} TF_TORCH_PREFIX)
      set(TF_TORCH_FROM "${TF_SYSTEM_PYTHON}")
    endif()
  endif()
  if(NOT TF_TORCH_PREFIX)
    message(FATAL_ERROR
      "No LibTorch found: neither the project's Python environment (${TF_ENV_PYTHON}) nor "
      "python3 has torch, and TORCH_DIR is not set. Run scripts/install-deps.sh (make does), or "
      "set TORCH_DIR to a LibTorch ${TF_TORCH_VERSION} or newer.")
  endif()
  list(APPEND CMAKE_PREFIX_PATH ${TF_TORCH_PREFIX})
endif()

# The CUDA toolkit LibTorch's config looks for, and the architectures it compiles for.
if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  set(CUDA_TOOLKIT_ROOT_DIR /usr/local/cuda)
endif()
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST 9.0)
endif()
# The project's kernels use LibTorch's libcudart, not a static copy of their own.
set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)

set(TF_TORCH_FROM "${TF_TORCH_FROM}" CACHE INTERNAL "where LibTorch was found")
# Architectures come from TORCH_CUDA_ARCH_LIST alone: with policy CMP0104 old while LibTorch's
# config enables CUDA, CMake sets no default CMAKE_CUDA_ARCHITECTURES for LibTorch to warn about
# and ignore; OFF afterwards tells CMake to add no flags of its own to the project's CUDA targets.
cmake_policy(PUSH)
cmake_policy(SET CMP0104 OLD)
find_package(Torch REQUIRED)
cmake_policy(POP)
set(CMAKE_CUDA_ARCHITECTURES OFF)
if(Torch_VERSION VERSION_LESS TF_TORCH_VERSION)
  message(FATAL_ERROR
    "LibTorch ${Torch_VERSION} found (${TORCH_INSTALL_PREFIX}, from ${TF_TORCH_FROM}); this project "
    "needs ${TF_TORCH_VERSION} or newer (scripts/requirements.txt). Run scripts/install-deps.sh, "
    "or point TORCH_DIR at a newer LibTorch.")
endif()
if(TARGET torch_cuda OR TARGET c10_cuda)
  set(TF_TORCH_CUDA ON)
else()
  set(TF_TORCH_CUDA OFF)
endif()
message(STATUS "LibTorch ${Torch_VERSION} with CUDA: ${TF_TORCH_CUDA} (${TORCH_INSTALL_PREFIX}, "
               "from ${TF_TORCH_FROM})")

# Torch's include directory also holds the protobuf 3.13 headers LibTorch was built with
# (include/google/protobuf). The control plane's generated code and everything that includes it
# must compile against the protobuf found above (Debian's 3.21), whose headers live in a standard
# directory that every -isystem directory precedes. So no target sees Torch's include directory
# itself: they see a copy of it made of links to each of its entries but google/.
set(TF_TORCH_INCLUDE ${TORCH_INSTALL_PREFIX}/include)
set(TF_TORCH_INCLUDE_SHADOW ${CMAKE_BINARY_DIR}/torch-include)
file(REMOVE_RECURSE ${TF_TORCH_INCLUDE_SHADOW})
file(GLOB TF_TORCH_INCLUDE_ENTRIES RELATIVE ${TF_TORCH_INCLUDE} ${TF_TORCH_INCLUDE}/*)
list(REMOVE_ITEM TF_TORCH_INCLUDE_ENTRIES google)
file(MAKE_DIRECTORY ${TF_TORCH_INCLUDE_SHADOW})
foreach(entry ${TF_TORCH_INCLUDE_ENTRIES})
  file(CREATE_LINK ${TF_TORCH_INCLUDE}/${entry} ${TF_TORCH_INCLUDE_SHADOW}/${entry} SYMBOLIC)
endforeach()
get_directory_property(TF_IMPORTED_TARGETS IMPORTED_TARGETS)
foreach(target ${TF_IMPORTED_TARGETS})
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(dirs)
    string(REPLACE "${TF_TORCH_INCLUDE}" "${TF_TORCH_INCLUDE_SHADOW}" shadowed "${dirs}")
    set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${shadowed}")
  endif()
endforeach()
string(REPLACE "${TF_TORCH_INCLUDE}" "${TF_TORCH_INCLUDE_SHADOW}" TORCH_INCLUDE_DIRS
       "${TORCH_INCLUDE_DIRS}")

# The wheel's libtorch.so exports copies of libstdc++ functions it was linked with statically
# (std::filesystem among them; PyTorch issue 133437). Whichever library comes first in a program's
# lookup order serves a symbol, and libtorch.so's remove_all jumps to a null address. So every
# program that links LibTorch lists libstdc++.so.6 first: the system's libstdc++ serves them all.
set_property(TARGET torch APPEND PROPERTY INTERFACE_LINK_OPTIONS
             "LINKER:--push-state,--no-as-needed,-lstdc++,--pop-state")
