# A local web service with a health check: a folder with a page, served by python3's
# http.server, and an HTTP check that it answers.
#   pincer task apply web.cw --no-ai      (or without --no-ai: the model compiles the steps)
#   pincer task drift web.cw              (after stopping the server: drift and proposals)

task "web" {}

variable "port" {
  default     = 8765
  description = "the port the page is served on (PINCER_TASK_VAR_port overrides it)"
}

directory "site" {
  path = "site"
}

file "index" {
  path    = "${directory.site.path}/index.html"
  content = "<h1>served by pincer task</h1>\n"
}

service "web" {
  start        = "python3 -m http.server ${var.port} --bind 127.0.0.1"
  workdir      = directory.site.path
  health_url   = "http://127.0.0.1:${var.port}/index.html"
  depends_on   = [file.index]
}

http_check "home" {
  url           = "http://127.0.0.1:${var.port}/"
  expect_status = 200
  retries       = 10
  interval_secs = 1
  depends_on    = [service.web]
}
