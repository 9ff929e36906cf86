#pragma once
#include <napi.h>

namespace wd {
// The addon's `buildInfo` export: how this binary was compiled (for `weightdyn doctor`).
Napi::Object BuildInfo(Napi::Env env);
}  // namespace wd
