#include "collectives/dtype.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace scalelab::agent {

std::optional<DType> parse_dtype(std::string_view s) {
  if (s == "float" || s == "float32" || s == "fp32" || s == "f32") return DType::float32;
  if (s == "half" || s == "float16" || s == "fp16" || s == "f16") return DType::float16;
  if (s == "bfloat16" || s == "bf16") return DType::bfloat16;
  if (s == "int32" || s == "int" || s == "i32") return DType::int32;
  return std::nullopt;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float";
    case DType::float16: return "half";
    case DType::bfloat16: return "bfloat16";
    case DType::int32: return "int32";
  }
  return "?";
}

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::float32: return 4;
    case DType::float16: return 2;
    case DType::bfloat16: return 2;
    case DType::int32: return 4;
  }
  return 1;
}

std::optional<Op> parse_op(std::string_view s) {
  if (s == "sum") return Op::sum;
  if (s == "max") return Op::max;
  if (s == "min") return Op::min;
  return std::nullopt;
}

std::string_view op_name(Op op) {
  switch (op) {
    case Op::sum: return "sum";
    case Op::max: return "max";
    case Op::min: return "min";
  }
  return "?";
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      mant &= 0x3ffu;
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + (127 - 15)) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t float_to_half(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
  }
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (absx < 0x38800000u) {                                             // subnormal or zero in half
    if (absx < 0x33000000u) return sign;                                // < half of smallest subnormal
    const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(absx >> 23);  // 14..24
    uint32_t r = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = absx - 0x38000000u;  // rebias exponent (127-15) << 23
  const uint32_t rem = r & 0x1fffu;
  r >>= 13;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return static_cast<uint16_t>(sign | r);
}

float bf16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t float_to_bf16(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet nan
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

namespace {

template <typename T, typename F>
void apply(void* dst, const void* src, std::size_t n, F f) {
  T* d = static_cast<T*>(dst);
  const T* s = static_cast<const T*>(src);
  for (std::size_t i = 0; i < n; ++i) d[i] = f(d[i], s[i]);
}

void apply_int32(Op op, void* dst, const void* src, std::size_t n) {
  switch (op) {
    case Op::sum:  // wrap-around sum through uint32
      apply<uint32_t>(dst, src, n, [](uint32_t a, uint32_t b) { return a + b; });
      break;
    case Op::max: apply<int32_t>(dst, src, n, [](int32_t a, int32_t b) { return std::max(a, b); }); break;
    case Op::min: apply<int32_t>(dst, src, n, [](int32_t a, int32_t b) { return std::min(a, b); }); break;
  }
}

template <float (*Load)(uint16_t), uint16_t (*Store)(float)>
void apply16(Op op, void* dst, const void* src, std::size_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  const uint16_t* s = static_cast<const uint16_t*>(src);
  // Work in blocks of floats so the arithmetic vectorises; conversions are scalar.
  constexpr std::size_t B = 256;
  float a[B], b[B];
  for (std::size_t base = 0; base < n; base += B) {
    const std::size_t m = std::min(B, n - base);
    for (std::size_t i = 0; i < m; ++i) {
      a[i] = Load(d[base + i]);
      b[i] = Load(s[base + i]);
    }
    switch (op) {
      case Op::sum: for (std::size_t i = 0; i < m; ++i) a[i] += b[i]; break;
      case Op::max: for (std::size_t i = 0; i < m; ++i) a[i] = std::max(a[i], b[i]); break;
      case Op::min: for (std::size_t i = 0; i < m; ++i) a[i] = std::min(a[i], b[i]); break;
    }
    for (std::size_t i = 0; i < m; ++i) d[base + i] = Store(a[i]);
  }
}

}  // namespace

void reduce_into(DType t, Op op, void* dst, const void* src, std::size_t count) {
  if (count == 0) return;
  switch (t) {
    case DType::float32:
      switch (op) {
        case Op::sum: apply<float>(dst, src, count, [](float a, float b) { return a + b; }); break;
        case Op::max: apply<float>(dst, src, count, [](float a, float b) { return std::max(a, b); }); break;
        case Op::min: apply<float>(dst, src, count, [](float a, float b) { return std::min(a, b); }); break;
      }
      break;
    case DType::int32: apply_int32(op, dst, src, count); break;
    case DType::float16: apply16<half_to_float, float_to_half>(op, dst, src, count); break;
    case DType::bfloat16: apply16<bf16_to_float, float_to_bf16>(op, dst, src, count); break;
  }
}

double load_element(DType t, const void* buf, std::size_t i) {
  const auto* p = static_cast<const unsigned char*>(buf) + i * dtype_size(t);
  switch (t) {
    case DType::float32: { float v; std::memcpy(&v, p, 4); return v; }
    case DType::int32: { int32_t v; std::memcpy(&v, p, 4); return v; }
    case DType::float16: { uint16_t v; std::memcpy(&v, p, 2); return half_to_float(v); }
    case DType::bfloat16: { uint16_t v; std::memcpy(&v, p, 2); return bf16_to_float(v); }
  }
  return 0;
}

void store_element(DType t, void* buf, std::size_t i, double value) {
  auto* p = static_cast<unsigned char*>(buf) + i * dtype_size(t);
  switch (t) {
    case DType::float32: { float v = static_cast<float>(value); std::memcpy(p, &v, 4); break; }
    case DType::int32: { int32_t v = static_cast<int32_t>(std::llround(value)); std::memcpy(p, &v, 4); break; }
    case DType::float16: { uint16_t v = float_to_half(static_cast<float>(value)); std::memcpy(p, &v, 2); break; }
    case DType::bfloat16: { uint16_t v = float_to_bf16(static_cast<float>(value)); std::memcpy(p, &v, 2); break; }
  }
}

}  // namespace scalelab::agent
