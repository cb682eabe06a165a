#ifndef GW_CCURL_SHIM_H
#define GW_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are C variadic functions, which Swift cannot
   call. These typed wrappers are compiled by clang inside the module, so no separate C target is needed. */
static inline CURLcode gw_easy_setopt_long(CURL *h, CURLoption opt, long v) { return curl_easy_setopt(h, opt, v); }
static inline CURLcode gw_easy_setopt_off(CURL *h, CURLoption opt, curl_off_t v) { return curl_easy_setopt(h, opt, v); }
static inline CURLcode gw_easy_setopt_str(CURL *h, CURLoption opt, const char *v) { return curl_easy_setopt(h, opt, v); }
static inline CURLcode gw_easy_setopt_ptr(CURL *h, CURLoption opt, void *v) { return curl_easy_setopt(h, opt, v); }
static inline CURLcode gw_easy_setopt_slist(CURL *h, CURLoption opt, struct curl_slist *v) { return curl_easy_setopt(h, opt, v); }
static inline CURLcode gw_easy_setopt_write_cb(CURL *h, curl_write_callback cb) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
static inline CURLcode gw_easy_setopt_header_cb(CURL *h, curl_write_callback cb) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb); }
static inline CURLcode gw_easy_getinfo_long(CURL *h, CURLINFO info, long *out) { return curl_easy_getinfo(h, info, out); }
static inline CURLcode gw_easy_getinfo_ptr(CURL *h, CURLINFO info, void **out) { return curl_easy_getinfo(h, info, out); }
static inline CURLMcode gw_multi_setopt_long(CURLM *m, CURLMoption opt, long v) { return curl_multi_setopt(m, opt, v); }
/* Upstream client (Sources/GatewayHost/Upstream): curl_share_setopt is variadic too. */
static inline CURLSHcode gw_share_setopt_lock_data(CURLSH *s, CURLSHoption opt, curl_lock_data v) { return curl_share_setopt(s, opt, v); }
static inline CURLSHcode gw_share_setopt_ptr(CURLSH *s, CURLSHoption opt, void *v) { return curl_share_setopt(s, opt, v); }
static inline CURLSHcode gw_share_setopt_lock_cb(CURLSH *s, curl_lock_function cb) { return curl_share_setopt(s, CURLSHOPT_LOCKFUNC, cb); }
static inline CURLSHcode gw_share_setopt_unlock_cb(CURLSH *s, curl_unlock_function cb) { return curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, cb); }
/* CURLPAUSE_CONT is a macro expression Swift does not import. Must be called on the thread driving the multi. */
static inline CURLcode gw_easy_unpause(CURL *h) { return curl_easy_pause(h, CURLPAUSE_CONT); }

/* The multi socket API (CurlMultiLoop): curl says which sockets to watch and when its timer is due; the loop
   waits on them with epoll. */
static inline CURLMcode gw_multi_setopt_ptr(CURLM *m, CURLMoption opt, void *v) { return curl_multi_setopt(m, opt, v); }
static inline CURLMcode gw_multi_setopt_socket_cb(CURLM *m, curl_socket_callback cb) { return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, cb); }
static inline CURLMcode gw_multi_setopt_timer_cb(CURLM *m, curl_multi_timer_callback cb) { return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, cb); }
#endif
