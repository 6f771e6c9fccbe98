#include "tests/e2e/png_image.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace tnps::testing {
namespace {

uint32_t BigEndian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint8_t Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  return static_cast<uint8_t>(pb <= pc ? b : c);
}

}  // namespace

int64_t PngImage::CountColor(const std::string& hex, int tolerance) const {
  const long value = std::strtol(hex.c_str() + 1, nullptr, 16);
  const int want[3] = {static_cast<int>(value >> 16) & 0xff, static_cast<int>(value >> 8) & 0xff,
                       static_cast<int>(value) & 0xff};
  int64_t count = 0;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
    bool close = true;
    for (int c = 0; c < 3; ++c) close = close && std::abs(rgb[i + c] - want[c]) <= tolerance;
    if (close) ++count;
  }
  return count;
}

std::optional<PngImage> ReadPng(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  const std::vector<uint8_t> data((std::istreambuf_iterator<char>(file)),
                                  std::istreambuf_iterator<char>());
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (data.size() < 8 || !std::equal(kSignature, kSignature + 8, data.begin())) return std::nullopt;
  PngImage image;
  int channels = 0;
  std::vector<uint8_t> compressed;
  for (size_t pos = 8; pos + 12 <= data.size();) {
    const uint32_t length = BigEndian(&data[pos]);
    const std::string type(data.begin() + pos + 4, data.begin() + pos + 8);
    const uint8_t* body = &data[pos + 8];
    if (pos + 12 + length > data.size()) return std::nullopt;
    if (type == "IHDR") {
      image.width = static_cast<int>(BigEndian(body));
      image.height = static_cast<int>(BigEndian(body + 4));
      const int depth = body[8], color = body[9], interlace = body[12];
      if (depth != 8 || interlace != 0 || (color != 2 && color != 6)) return std::nullopt;
      channels = color == 2 ? 3 : 4;
    } else if (type == "IDAT") {
      compressed.insert(compressed.end(), body, body + length);
    }
    pos += 12 + length;
  }
  if (channels == 0) return std::nullopt;
  const size_t stride = static_cast<size_t>(image.width) * channels;
  std::vector<uint8_t> raw((stride + 1) * image.height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, compressed.data(), compressed.size()) != Z_OK ||
      raw_size != raw.size()) {
    return std::nullopt;
  }
  // Undo the per-row filters (PNG specification, section 9).
  std::vector<uint8_t> previous(stride, 0), row(stride);
  image.rgb.reserve(static_cast<size_t>(image.width) * image.height * 3);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* in = &raw[y * (stride + 1)];
    const uint8_t filter = in[0];
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= static_cast<size_t>(channels) ? row[x - channels] : 0;
      const int b = previous[x];
      const int c = x >= static_cast<size_t>(channels) ? previous[x - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4:
          predictor = Paeth(a, b, c);
          break;
        default:
          break;
      }
      row[x] = static_cast<uint8_t>(in[1 + x] + predictor);
    }
    for (int x = 0; x < image.width; ++x) {
      for (int c = 0; c < 3; ++c) image.rgb.push_back(row[x * channels + c]);
    }
    previous.swap(row);
  }
  return image;
}

}  // namespace tnps::testing
