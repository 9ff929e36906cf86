#pragma once
#include <napi.h>

namespace wd {
Napi::Value BindActivation(const Napi::CallbackInfo& info);
Napi::Value BindQrPositive(const Napi::CallbackInfo& info);
Napi::Value BindRuleStep(const Napi::CallbackInfo& info);
Napi::Value BindRuleTangent(const Napi::CallbackInfo& info);
}  // namespace wd
