// Reads the 8-bit RGB and RGBA PNG files a headless browser writes as
// screenshots, so tests can check what was actually drawn.
#ifndef TNPS_TESTS_E2E_PNG_IMAGE_H_
#define TNPS_TESTS_E2E_PNG_IMAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tnps::testing {

struct PngImage {
  int width = 0;
  int height = 0;
  // Row-major RGB triples.
  std::vector<uint8_t> rgb;

  // Pixels within `tolerance` of #rrggbb in every channel.
  int64_t CountColor(const std::string& hex, int tolerance) const;
};

// nullopt for anything but a non-interlaced 8-bit RGB or RGBA PNG.
std::optional<PngImage> ReadPng(const std::string& path);

}  // namespace tnps::testing

#endif  // TNPS_TESTS_E2E_PNG_IMAGE_H_
