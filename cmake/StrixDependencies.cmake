# Finds strix's third-party libraries, all from Debian packages (see .ci/run):
# RE2, Boost (headers: Spirit X3, ICL), oneTBB, simdjson, CLI11, zlib, Catch2.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
find_package(Boost 1.74 REQUIRED)
find_package(TBB REQUIRED)
find_package(simdjson REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
