/** The sign-in page. */
export const templates = {
  'login.title': '天枢',
  'login.tagline': '运维管控平台——一朵云 · 一张网 · 一堵墙',
  'login.username': '用户名',
  'login.password': '密码',
  'login.otp': '动态验证码',
  'login.submitting': '正在登录…',
  'login.submit': '登录',
  'login.notice': '仅限授权人员使用。每次登录都会记入审计日志。',
  'login.missing': '请输入用户名和密码。',
  'login.otpRequired': '请输入身份验证器应用中的动态验证码。',
} as const;
