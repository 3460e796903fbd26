# Finds strix's third-party libraries, all from Debian packages (see .ci/run):
# RE2, Boost (headers: Spirit X3, ICL), oneTBB, simdjson, CLI11, zlib, Catch2, cereal
# (header-only), librdkafka, yaml-cpp (strix import sigma).
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(YAMLCPP REQUIRED IMPORTED_TARGET yaml-cpp)
find_package(Boost 1.74 REQUIRED)
find_package(TBB REQUIRED)
find_package(simdjson REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)

# oneTBB's scalable allocator replaces malloc in the binaries that run events (measured: 1.07x on
# one thread, and 1.5x on two threads where glibc's arenas contend; perf/results/). Not under
# the sanitizers, which bring their own allocator.
function(strix_use_scalable_malloc target)
  if(NOT STRIX_SANITIZE AND NOT STRIX_FUZZ AND NOT STRIX_TSAN)
    target_link_libraries(${target} PRIVATE -Wl,--no-as-needed TBB::tbbmalloc_proxy -Wl,--as-needed)
  endif()
endfunction()
