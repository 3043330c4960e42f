// Element types, reduction operators and the reduce kernels used by the algorithms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::agent {

enum class DType { float32, float16, bfloat16, int32 };
enum class Op { sum, max, min };

// nccl-tests spellings: "float", "half", "bfloat16", "int32" (aliases: float32, fp32, float16, fp16, bf16, int).
std::optional<DType> parse_dtype(std::string_view s);
std::string_view dtype_name(DType t);
std::size_t dtype_size(DType t);

std::optional<Op> parse_op(std::string_view s);
std::string_view op_name(Op op);

// IEEE binary16 / bfloat16 <-> float (round to nearest even).
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bf16_to_float(uint16_t b);
uint16_t float_to_bf16(float f);

// dst[i] = op(dst[i], src[i]) for i < count. half and bfloat16 are reduced through float.
// int32 sum wraps (two's complement) instead of overflowing.
void reduce_into(DType t, Op op, void* dst, const void* src, std::size_t count);

// Element access through double (used by the data check, never on the hot path).
double load_element(DType t, const void* buf, std::size_t index);
void store_element(DType t, void* buf, std::size_t index, double value);

}  // namespace scalelab::agent
