//! The commented file `pincer config init` writes.

pub const TEMPLATE: &str = r#"# pincer configuration. `pincer config show` prints what is in effect.
#
# Which profile to use when neither --provider nor PINCER_PROVIDER is given.
# Without it pincer picks openai or anthropic when their key is in the environment.
# default_provider = "ollama"

# Colour theme: "dark", "light", or the name of a file in <config dir>/themes/NAME.toml.
theme = "dark"

# Optional system prompt sent with every conversation.
# system_prompt = "You are a concise assistant."

# Built-in profiles (override any field here): openai, anthropic, ollama, llamacpp, lmstudio.
# kind = "openai" speaks OpenAI Chat Completions (OpenAI, Ollama, llama.cpp, vLLM, LM Studio,
# OpenRouter); kind = "anthropic" speaks Anthropic Messages. The key is read from the
# environment variable named by api_key_env; it is never stored here.

# [providers.openai]
# model = "gpt-4.1-mini"

# [providers.anthropic]
# model = "claude-sonnet-4-5"

# [providers.ollama]
# model = "llama3.2"          # empty = the first model the server lists

# [providers.llamacpp]
# base_url = "http://127.0.0.1:8080/v1"

# [providers.openrouter]
# kind = "openai"
# base_url = "https://openrouter.ai/api/v1"
# model = "meta-llama/llama-3.3-70b-instruct"
# api_key_env = "OPENROUTER_API_KEY"
# max_tokens = 4096

[network]
# connect_timeout_ms = 10000
# stream_idle_timeout_ms = 120000   # a stream silent this long counts as stalled
# max_retries = 4                   # for 429, 5xx and dropped connections
# retry_base_delay_ms = 1000        # doubled each attempt, ±25 % jitter
# retry_max_delay_ms = 30000
"#;
