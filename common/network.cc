// IP address and network parsing for `in cidr` (see network.h).
#include "common/network.h"

#include <arpa/inet.h>

#include <cstring>

namespace strix {

Uint128 NetworkMask(bool v6, uint8_t prefix) {
  const int width = v6 ? 128 : 32;
  if (prefix == 0) return 0;
  return (FamilyTop(v6) << (width - prefix)) & FamilyTop(v6);
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  size_t zone = text.find('%');
  if (zone != std::string_view::npos) text = text.substr(0, zone);
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    unsigned char b[4];
    if (inet_pton(AF_INET, buf, b) != 1) return std::nullopt;
    a.bits = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
    return a;
  }
  unsigned char b[16];
  if (inet_pton(AF_INET6, buf, b) != 1) return std::nullopt;
  a.v6 = true;
  for (unsigned char c : b) a.bits = (a.bits << 8) | c;
  return a;
}

std::optional<IpNetwork> ParseIpNetwork(std::string_view text, std::string* why) {
  auto fail = [&](std::string m) -> std::optional<IpNetwork> {
    if (why) *why = std::move(m);
    return std::nullopt;
  };
  size_t slash = text.find('/');
  std::string_view addr = text.substr(0, slash);
  if (addr.find('%') != std::string_view::npos)
    return fail("'" + std::string(text) + "' is not a network (no zone in a network)");
  auto a = ParseIpAddress(addr);
  if (!a) return fail("'" + std::string(addr) + "' is not an IPv4 or IPv6 address");
  const int width = a->v6 ? 128 : 32;
  int prefix = width;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != len.npos)
      return fail("'" + std::string(text) + "' has no prefix length after '/'");
    prefix = std::stoi(std::string(len));
    if (prefix > width)
      return fail("the prefix length of '" + std::string(text) + "' is more than " +
                  std::to_string(width));
  }
  IpNetwork n;
  n.v6 = a->v6;
  n.prefix = static_cast<uint8_t>(prefix);
  Uint128 mask = NetworkMask(n.v6, n.prefix);
  if ((a->bits & ~mask) != 0)
    return fail("'" + std::string(text) + "' has host bits set: the network is written with " +
                "them cleared");
  n.lo = a->bits & mask;
  n.hi = n.lo | (~mask & FamilyTop(n.v6));
  return n;
}

std::string FormatIpNetwork(const IpNetwork& n) {
  char buf[INET6_ADDRSTRLEN];
  if (n.v6) {
    unsigned char b[16];
    for (int i = 15; i >= 0; --i) b[15 - i] = static_cast<unsigned char>(n.lo >> (8 * i));
    inet_ntop(AF_INET6, b, buf, sizeof buf);
  } else {
    unsigned char b[4];
    for (int i = 3; i >= 0; --i) b[3 - i] = static_cast<unsigned char>(n.lo >> (8 * i));
    inet_ntop(AF_INET, b, buf, sizeof buf);
  }
  return std::string(buf) + "/" + std::to_string(n.prefix);
}

}  // namespace strix
