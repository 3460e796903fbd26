// Catch2 main for strix_tests (the one translation unit that defines CATCH_CONFIG_MAIN).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
