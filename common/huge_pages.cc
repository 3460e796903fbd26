// Mapping and unmapping of HugePageAllocator's large blocks (common/huge_pages.h).
#include "common/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace strix::huge_pages {

namespace {
constexpr size_t kHuge = size_t{2} << 20;
size_t RoundUp(size_t bytes) {
  return (bytes + kHuge - 1) / kHuge * kHuge;
}
}  // namespace

void* Map(size_t bytes) {
  size_t len = RoundUp(bytes);
  // One huge page more than needed, so that the block can start at a 2 MiB boundary; the
  // slack on both sides is given back.
  void* raw =
      mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
  if (aligned > start) munmap(raw, aligned - start);
  uintptr_t end = start + len + kHuge;
  if (end > aligned + len) munmap(reinterpret_cast<void*>(aligned + len), end - aligned - len);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);  // advice: failure is harmless
#endif
  return reinterpret_cast<void*>(aligned);
}

void Unmap(void* p, size_t bytes) {
  munmap(p, RoundUp(bytes));
}

}  // namespace strix::huge_pages
