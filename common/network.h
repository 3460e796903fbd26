// IP addresses and networks of `x in cidr [...]` (LANGUAGE.md 3.3), IPv4 and IPv6 in their
// string forms. An IPv4 address is only in IPv4 networks and an IPv6 address only in IPv6
// networks (`::ffff:10.0.0.1` is IPv6: it is in `::ffff:0:0/96`, not in `10.0.0.0/8`).
// Interface: IpAddress, IpNetwork, ParseIpAddress, ParseIpNetwork.
// Covered by test/engine_test.cc ([L2]) and the differential test's reference.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strix {

__extension__ typedef unsigned __int128 Uint128;

struct IpAddress {
  bool v6 = false;
  Uint128 bits = 0;  // IPv4 in the low 32 bits
};

struct IpNetwork {
  bool v6 = false;
  Uint128 lo = 0, hi = 0;  // the first and last address
  uint8_t prefix = 0;      // bits of the network part (0-32 for IPv4, 0-128 for IPv6)
  bool Contains(const IpAddress& a) const { return a.v6 == v6 && lo <= a.bits && a.bits <= hi; }
};

// "10.1.2.3", "fe80::1", "fe80::1%eth0" (the zone is ignored); nullopt when it is none.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// "10.0.0.0/8", "fe80::/10", or a single address (a /32 or /128). Host bits set under the
// prefix ("10.1.2.3/8") are an error: the network a rule names must be written as one.
// On error `why` says what is wrong.
std::optional<IpNetwork> ParseIpNetwork(std::string_view text, std::string* why = nullptr);

// "10.0.0.0/8", "fe80::/10": the network in its usual text form.
std::string FormatIpNetwork(const IpNetwork& n);

// The last address of a family: all ones over its width (32 or 128 bits).
inline Uint128 FamilyTop(bool v6) { return v6 ? ~Uint128(0) : Uint128(0xFFFFFFFFu); }

// The network's mask over its address family's width.
Uint128 NetworkMask(bool v6, uint8_t prefix);

}  // namespace strix
