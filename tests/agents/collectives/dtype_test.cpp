#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "collectives/dtype.h"

using namespace scalelab::agent;

TEST(Dtype, ParseAndNames) {
  EXPECT_EQ(parse_dtype("float"), DType::float32);
  EXPECT_EQ(parse_dtype("half"), DType::float16);
  EXPECT_EQ(parse_dtype("bfloat16"), DType::bfloat16);
  EXPECT_EQ(parse_dtype("int32"), DType::int32);
  EXPECT_FALSE(parse_dtype("double"));
  EXPECT_EQ(dtype_name(DType::float16), "half");
  EXPECT_EQ(dtype_size(DType::bfloat16), 2u);
  EXPECT_EQ(parse_op("max"), Op::max);
  EXPECT_FALSE(parse_op("prod"));
}

TEST(Dtype, HalfConversions) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 0.000061035156f, 5.9604645e-8f, 1234.0f, -0.333251953125f})
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);  // overflow -> inf
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3c00);  // tie rounds to even
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3c02);
  // Every half value survives a round trip through float.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), h) << std::hex << h;
  }
}

TEST(Dtype, Bf16Conversions) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_float(float_to_bf16(256.0f)), 256.0f);
  EXPECT_EQ(bf16_to_float(float_to_bf16(257.0f)), 256.0f);  // 8 bits of mantissa, tie to even
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Dtype, ReduceKernels) {
  for (DType t : {DType::float32, DType::float16, DType::bfloat16, DType::int32}) {
    const std::size_t n = 1000;  // crosses the 256-element block of the 16-bit kernels
    std::vector<unsigned char> a(n * dtype_size(t)), b(n * dtype_size(t));
    for (Op op : {Op::sum, Op::max, Op::min}) {
      for (std::size_t i = 0; i < n; ++i) {
        store_element(t, a.data(), i, static_cast<double>(i % 17) - 8);
        store_element(t, b.data(), i, static_cast<double>(i % 5) - 2);
      }
      reduce_into(t, op, a.data(), b.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        const double x = static_cast<double>(i % 17) - 8, y = static_cast<double>(i % 5) - 2;
        const double want = op == Op::sum ? x + y : op == Op::max ? std::max(x, y) : std::min(x, y);
        ASSERT_EQ(load_element(t, a.data(), i), want) << dtype_name(t) << " " << op_name(op) << " " << i;
      }
    }
  }
}

TEST(Dtype, Int32SumWraps) {
  int32_t a = std::numeric_limits<int32_t>::max(), b = 1;
  reduce_into(DType::int32, Op::sum, &a, &b, 1);
  EXPECT_EQ(a, std::numeric_limits<int32_t>::min());
}
