//! What the analysers know about the world: which paths hold credentials, where persistence
//! lives, which hosts are well-known installers or throw-away drops, which programs are
//! interpreters, downloaders and shell builtins. One list per concept, shared by every language.

use super::phrases::Phrases;

/// Fragments of paths that hold credentials or private data (matched case-insensitively).
static SENSITIVE_PATHS: Phrases = Phrases::ignoring_case(&[
    ".ssh/id_",
    "/.ssh/",
    "~/.ssh",
    "$home/.ssh",
    ".aws/credentials",
    ".config/gcloud",
    ".azure/",
    ".kube/config",
    ".docker/config.json",
    ".openclaw/openclaw.json",
    "auth-profiles.json",
    ".openclaw/credentials",
    ".openclaw/.env",
    ".clawdbot/clawdbot.json",
    ".clawdbot/credentials",
    ".clawdbot/.env",
    ".git-credentials",
    ".netrc",
    ".config/gh/hosts.yml",
    "/login data",
    "/cookies",
    "local state",
    "logins.json",
    "key4.db",
    "cookies.sqlite",
    "login.keychain",
    "keychain-db",
    "dump-keychain",
    ".config/solana/id.json",
    ".ethereum/keystore",
    "wallet.dat",
    "/exodus/",
    ".electrum",
    "nkbihfbeogaeaoehlefnkodbefgpgknn",
    "bfnaelmomeimhlpmgjnjophhpkkoljpa",
    ".bash_history",
    ".zsh_history",
    "/etc/shadow",
    ".gnupg/",
    ".password-store",
]);

/// Fragments of paths whose modification makes code run again later.
static PERSISTENCE_PATHS: Phrases = Phrases::ignoring_case(&[
    "/library/launchagents",
    "/library/launchdaemons",
    ".config/systemd/user",
    "/etc/systemd/system",
    "/etc/cron",
    "/var/spool/cron",
    ".bashrc",
    ".zshrc",
    ".bash_profile",
    ".zprofile",
    ".profile",
    ".config/fish/config.fish",
    ".git/hooks/",
    "authorized_keys",
    "currentversion\\run",
    "currentversion/run",
    "\\start menu\\programs\\startup",
    "/etc/rc.local",
    "/etc/profile.d/",
]);

/// Fragments of paths of the agent's own memory and configuration.
static AGENT_MEMORY_PATHS: Phrases = Phrases::ignoring_case(&[
    "soul.md",
    "agents.md",
    ".openclaw/openclaw.json",
    "openclaw.json",
]);

/// Official installer hosts of well-known tools, whose `curl … | sh` is common in honest Skills.
const KNOWN_INSTALLER_HOSTS: &[&str] = &[
    "sh.rustup.rs",
    "static.rust-lang.org",
    "brew.sh",
    "get.docker.com",
    "deno.land",
    "deno.com",
    "bun.sh",
    "astral.sh",
    "install.python-poetry.org",
    "get.pnpm.io",
    "fnm.vercel.app",
    "ollama.com",
    "ollama.ai",
    "tailscale.com",
    "fly.io",
    "get.helm.sh",
    "get.sdkman.io",
    "install.determinate.systems",
    "nixos.org",
    "starship.rs",
    "claude.ai",
    "opencode.ai",
    "cursor.com",
    "mise.run",
    "get.volta.sh",
    "dot.net",
    "pyenv.run",
    "install.julialang.org",
    "release.solana.com",
    "release.anza.xyz",
    "foundry.paradigm.xyz",
    "cli.doppler.com",
    "get.jetify.com",
    "get.k3s.io",
    "sh.vector.dev",
    "install.lunarvim.org",
    "cdn.jsdelivr.net",
    "npmjs.org",
    "registry.npmjs.org",
    "pypi.org",
    "downloads.python.org",
    "golang.org",
    "go.dev",
    "nodejs.org",
    "get.rvm.io",
    "getcomposer.org",
    "install.meteor.com",
    "cli.github.com",
    "gh.io",
    "supabase.com",
    "vercel.com",
    "railway.app",
    "render.com",
    "wasmtime.dev",
    "wasmer.io",
    "get.wasmer.io",
    "get.haskellstack.org",
    "ziglang.org",
    "install.duckdb.org",
    "spacetimedb.com",
    "cli.codecov.io",
    "get.trunk.io",
    "get.tur.so",
    "dl.google.com",
    "sdk.cloud.google.com",
    "aka.ms",
    "azurecliprod.blob.core.windows.net",
    "awscli.amazonaws.com",
    "deb.nodesource.com",
    "rpm.nodesource.com",
    "raw.githubusercontent.com/homebrew/",
    "raw.githubusercontent.com/nvm-sh/",
    "raw.githubusercontent.com/babashka/",
];

/// Paste sites, file drops, tunnels and URL shorteners: no honest installer lives there.
const THROWAWAY_HOSTS: &[&str] = &[
    "pastebin.com",
    "paste.ee",
    "hastebin.com",
    "ghostbin",
    "rentry.co",
    "rentry.org",
    "termbin.com",
    "transfer.sh",
    "0x0.st",
    "file.io",
    "temp.sh",
    "bashupload.com",
    "catbox.moe",
    "anonfiles",
    "ngrok.io",
    "ngrok-free.app",
    "ngrok.app",
    "trycloudflare.com",
    "bit.ly",
    "tinyurl.com",
    "is.gd",
    "t.co",
    "cutt.ly",
    "glot.io",
    "dpaste.org",
    "dpaste.com",
    "paste.rs",
    "pastes.dev",
    "justpaste.it",
    "controlc.com",
    "privatebin.net",
    "webhook.site",
    "pipedream.net",
    "requestbin",
    "discord.com/api/webhooks",
    "api.telegram.org",
];

/// Mining pools' domains: a host under one of them with a port is a miner's pool connection.
const MINING_POOLS: &[&str] = &[
    "supportxmr.com",
    "moneroocean.stream",
    "hashvault.pro",
    "nanopool.org",
    "minexmr.com",
    "c3pool.com",
    "c3pool.org",
    "unmineable.com",
    "ethermine.org",
    "2miners.com",
    "f2pool.com",
    "minergate.com",
    "nicehash.com",
    "herominers.com",
    "xmrpool.eu",
    "monerohash.com",
    "dwarfpool.com",
    "slushpool.com",
    "antpool.com",
    "poolin.com",
    "zergpool.com",
    "miningpoolhub.com",
    "woolypooly.com",
    "kryptex.network",
    "p2pool.io",
    "xmrfast.com",
    "skypool.org",
    "viabtc.com",
];

/// The mining pool `host` belongs to, if any.
pub fn mining_pool(host: &str) -> Option<&'static str> {
    let host = host.to_ascii_lowercase();
    MINING_POOLS
        .iter()
        .find(|pool| is_within(&host, pool))
        .copied()
}

/// Programs that run code they read from stdin or a file.
pub const INTERPRETERS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "fish",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "node",
    "php",
    "iex",
    "invoke-expression",
    "pwsh",
    "powershell",
    "osascript",
    "deno",
    "bun",
    "tclsh",
    "lua",
];

/// Programs that download.
pub const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "iwr",
    "irm",
    "invoke-webrequest",
    "invoke-restmethod",
    "fetch",
    "aria2c",
    "http",
    "https",
    "xh",
    "lwp-download",
    "ftp",
    "tftp",
];

/// Shell builtins and keywords: not programs a permission is needed for.
pub const SHELL_BUILTINS: &[&str] = &[
    "cd",
    "echo",
    "printf",
    "export",
    "set",
    "unset",
    "read",
    "test",
    "[",
    "[[",
    "true",
    "false",
    ":",
    "source",
    ".",
    "exit",
    "return",
    "local",
    "declare",
    "typeset",
    "readonly",
    "shift",
    "trap",
    "wait",
    "eval",
    "exec",
    "alias",
    "unalias",
    "type",
    "command",
    "builtin",
    "let",
    "pushd",
    "popd",
    "dirs",
    "umask",
    "ulimit",
    "getopts",
    "hash",
    "jobs",
    "fg",
    "bg",
    "kill",
    "break",
    "continue",
    "times",
    "shopt",
    "history",
    "bind",
    "enable",
    "help",
    "logout",
    "mapfile",
    "readarray",
    "caller",
    "compgen",
    "complete",
    "disown",
    "suspend",
    "then",
    "else",
    "fi",
    "do",
    "done",
    "esac",
];

/// Shell and process variables that every environment has: not secrets a permission is needed for.
pub const STANDARD_ENV: &[&str] = &[
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TMP",
    "TEMP",
    "LANG",
    "LC_ALL",
    "TERM",
    "IFS",
    "RANDOM",
    "HOSTNAME",
    "UID",
    "EUID",
    "PPID",
    "LINENO",
    "SECONDS",
    "OSTYPE",
    "MACHTYPE",
    "HOSTTYPE",
    "SHLVL",
    "COLUMNS",
    "LINES",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
    "SKILL_DIR",
    "WORKSPACE",
    "OPTARG",
    "OPTIND",
    "REPLY",
    "PIPESTATUS",
    "BASH_SOURCE",
    "BASH_VERSION",
    "FUNCNAME",
    "GROUPS",
    "NODE_ENV",
    "CI",
    "DEBUG",
    "VERBOSE",
    "NO_COLOR",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMFILES",
    "SYSTEMROOT",
    "COMSPEC",
    "PATHEXT",
    "PYTHONPATH",
    "VIRTUAL_ENV",
];

/// The sensitive fragment `text` mentions, if any. Public keys (`*.pub`) are not secrets.
/// Windows spellings (`%USERPROFILE%\.ssh\id_rsa`) count like `/`-separated ones.
pub fn sensitive_path(text: &str) -> Option<&'static str> {
    if text.trim_end_matches(['"', '\'', ')']).ends_with(".pub") {
        return None;
    }
    if text.contains('\\') {
        return SENSITIVE_PATHS.first_in_list(&text.replace('\\', "/"));
    }
    SENSITIVE_PATHS.first_in_list(text)
}

/// Words of an environment variable's name that make it a secret (`OPENAI_API_KEY`,
/// `GH_TOKEN`, `DB_PASSWORD`).
const SECRET_NAME_WORDS: &[&str] = &[
    "KEY",
    "APIKEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "CREDENTIAL",
    "CREDENTIALS",
    "PAT",
    "PRIVATE",
];

/// Whether an environment variable's name says it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name
            .split('_')
            .any(|word| SECRET_NAME_WORDS.contains(&word))
}

/// Well-known providers' secret variables (by name prefix) and the hosts they are meant for.
/// An empty host list: the secret is never sent as it is (AWS signs requests with it).
const SECRET_OWNERS: &[(&str, &[&str])] = &[
    ("OPENAI_", &["openai.com", "openai.azure.com"]),
    ("AZURE_OPENAI_", &["openai.azure.com", "azure.com"]),
    ("ANTHROPIC_", &["anthropic.com"]),
    ("AWS_SECRET_ACCESS_KEY", &[]),
    ("AWS_SESSION_TOKEN", &["amazonaws.com"]),
    (
        "GITHUB_",
        &["github.com", "githubusercontent.com", "ghcr.io"],
    ),
    ("GH_", &["github.com", "githubusercontent.com", "ghcr.io"]),
    ("GITLAB_", &["gitlab.com"]),
    ("HF_", &["huggingface.co"]),
    ("HUGGINGFACE_", &["huggingface.co"]),
    ("GEMINI_", &["googleapis.com"]),
    ("GOOGLE_", &["googleapis.com", "google.com"]),
    ("SLACK_", &["slack.com"]),
    ("DISCORD_", &["discord.com", "discordapp.com"]),
    ("TELEGRAM_", &["api.telegram.org"]),
    ("STRIPE_", &["stripe.com"]),
    ("NPM_", &["npmjs.org", "npmjs.com"]),
    ("OPENROUTER_", &["openrouter.ai"]),
    ("GROQ_", &["groq.com"]),
    ("MISTRAL_", &["mistral.ai"]),
    ("DEEPSEEK_", &["deepseek.com"]),
    ("XAI_", &["x.ai"]),
    ("PERPLEXITY_", &["perplexity.ai"]),
    ("NOTION_", &["notion.com", "notion.so"]),
    ("LINEAR_", &["linear.app"]),
    ("VERCEL_", &["vercel.com"]),
    ("CLOUDFLARE_", &["cloudflare.com"]),
    ("TWILIO_", &["twilio.com"]),
    ("SENDGRID_", &["sendgrid.com"]),
];

/// Whether `fragment` (from [`sensitive_path`]) is the agent's own credential store, where
/// each Skill's token sits under its own key.
pub fn is_agent_store(fragment: &str) -> bool {
    matches!(
        fragment,
        "auth-profiles.json"
            | ".openclaw/openclaw.json"
            | ".openclaw/credentials"
            | ".clawdbot/clawdbot.json"
            | ".clawdbot/credentials"
    )
}

/// Where no secret has an honest reason to go: webhook, paste and file-drop sites, tunnels,
/// bot APIs, and public IP addresses. Private and loopback addresses are the user's own devices.
pub fn is_drop_host(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(host) = host_of(&lower) else {
        return false;
    };
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) => {
                !(v4.is_private() || v4.is_loopback() || v4.is_link_local())
            }
            std::net::IpAddr::V6(v6) => !v6.is_loopback(),
        };
    }
    THROWAWAY_HOSTS.iter().any(|h| {
        if h.contains('/') {
            lower.contains(h)
        } else {
            is_within(&host, h)
        }
    })
}

/// Snippet hosts: fine for reading code, but a "run what is at this link" instruction that
/// points there runs whatever the link holds today.
const SNIPPET_HOSTS: &[&str] = &["gist.github.com", "gist.githubusercontent.com"];

/// Whether `url` points at a paste, snippet or throw-away host: a place from which an
/// instruction to run something is never honest.
pub fn is_paste_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    // Webhooks and bot APIs receive data; nothing is fetched from them to run.
    let receiver = ["webhook", "api.telegram.org", "pipedream.net", "requestbin"]
        .iter()
        .any(|w| lower.contains(w));
    let Some(host) = host_of(&lower) else {
        return false;
    };
    // A raw IP is often an API server the Skill talks to; only hosts that exist to hold
    // pasted or dropped files count.
    let paste = THROWAWAY_HOSTS.iter().any(|h| {
        if h.contains('/') {
            lower.contains(h)
        } else {
            is_within(&host, h)
        }
    });
    !receiver && (paste || SNIPPET_HOSTS.contains(&host.as_str()))
}

/// Whether `host` is `domain` or a name under it (`api.example.com` under `example.com`).
pub fn is_within(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// Whether the secret variable `name` is never sent as it is by honest code (AWS secret keys
/// sign requests; they do not travel).
pub fn secret_never_sent(name: &str) -> bool {
    SECRET_OWNERS
        .iter()
        .any(|(prefix, hosts)| hosts.is_empty() && name.starts_with(prefix))
}

/// Whether sending the secret variable `name` to `host` is sending it somewhere it does not
/// belong: `Some(true)` for a well-known provider's secret going to another host,
/// `Some(false)` for its own provider, `None` when the variable's owner is not known.
pub fn secret_misdirected(name: &str, host: &str) -> Option<bool> {
    let (_, hosts) = SECRET_OWNERS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))?;
    let host = host.to_ascii_lowercase();
    let own = hosts.iter().any(|h| is_within(&host, h));
    Some(!own)
}

/// Why sending the secret variable `variable` is exfiltration, or `None` when it is what an
/// API client does: in a DNS name (`in_name`), a secret never sent as it is, a provider's
/// secret sent to another host, or a secret of unknown owner sent to a drop address. `host`
/// and `url` are the request's, when known.
pub fn secret_sent_wrongly(
    variable: &str,
    in_name: bool,
    host: Option<&str>,
    url: Option<&str>,
) -> Option<String> {
    if in_name {
        return Some("in a DNS name".to_owned());
    }
    if secret_never_sent(variable) {
        return Some("that is never sent as it is".to_owned());
    }
    let (host, url) = (host?, url?);
    match secret_misdirected(variable, host) {
        Some(true) => Some(format!("to {host}, not its provider")),
        Some(false) => None,
        None => is_drop_host(url).then(|| format!("to the drop address {host}")),
    }
}

/// The persistence location `text` mentions, if any.
pub fn persistence_path(text: &str) -> Option<&'static str> {
    PERSISTENCE_PATHS.first_in_list(text)
}

/// The agent memory or configuration file `text` mentions, if any.
pub fn agent_memory_path(text: &str) -> Option<&'static str> {
    AGENT_MEMORY_PATHS.first_in_list(text)
}

/// How trustworthy a download location looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The official installer host of a well-known tool.
    KnownInstaller,
    /// An ordinary named host over HTTPS.
    Unvetted,
    /// A raw IP, plain http, a paste site, file drop, tunnel or shortener.
    Throwaway,
}

/// Classifies a URL (or bare host) as a download source.
pub fn classify_source(url: &str) -> Source {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") {
        return Source::Throwaway;
    }
    let host = host_of(&lower).unwrap_or_default();
    let throwaway = THROWAWAY_HOSTS.iter().any(|h| {
        if h.contains('/') {
            lower.contains(h)
        } else {
            is_within(&host, h)
        }
    });
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') || throwaway {
        return Source::Throwaway;
    }
    let after_scheme = lower
        .split_once("://")
        .map_or(lower.as_str(), |(_, rest)| rest);
    let known = KNOWN_INSTALLER_HOSTS.iter().any(|k| {
        if k.contains('/') {
            after_scheme.starts_with(k)
        } else {
            is_within(&host, k)
        }
    });
    if known {
        Source::KnownInstaller
    } else {
        Source::Unvetted
    }
}

/// The agent platforms' own domains (and their subdomains).
const AGENT_PLATFORM_HOSTS: &[&str] = &[
    "openclaw.ai",
    "clawhub.ai",
    "claude.ai",
    "claude.com",
    "anthropic.com",
    "openai.com",
    "chatgpt.com",
];

/// Words of the agent platforms' names: a host that spells one and is not one of
/// [`AGENT_PLATFORM_HOSTS`] dresses up as the platform (`openclaw-cli.sh`, `claw-hub.io`).
const AGENT_PLATFORM_WORDS: &[&str] = &[
    "openclaw",
    "clawhub",
    "claw-hub",
    "clawdbot",
    "moltbot",
    "claude",
    "anthropic",
];

/// Whether `host` looks like an agent platform's without being one.
pub fn is_platform_lookalike(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let official = AGENT_PLATFORM_HOSTS.iter().any(|h| is_within(&host, h));
    !official && AGENT_PLATFORM_WORDS.iter().any(|w| host.contains(w))
}

/// Code hosts where a homepage names an owner, not a site: only that owner's files there
/// belong to the Skill.
const CODE_HOSTS: &[&str] = &[
    "github.com",
    "raw.githubusercontent.com",
    "objects.githubusercontent.com",
    "gitlab.com",
    "codeberg.org",
    "bitbucket.org",
];

/// Words of a Skill's name too common to say whose a host is.
const GENERIC_NAME_WORDS: &[&str] = &[
    "skill",
    "skills",
    "tool",
    "tools",
    "helper",
    "install",
    "setup",
    "agent",
    "openclaw",
    "claw",
    "claude",
    "api",
    "cli",
    "sdk",
    "the",
    "with",
    "automation",
    "manager",
    "client",
    "server",
];

/// Whether a download from `url` comes from the Skill itself: the host of its `homepage` (for
/// a homepage on a code host, files of the same owner there), or a host whose registrable
/// name is the Skill's name or one of its distinctive words (`cli.inference.sh` for the
/// Skill `inference-sh`). Hosts dressed up as an agent platform never belong to a Skill.
pub fn belongs_to_skill(url: &str, name: Option<&str>, homepage: Option<&str>) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(host) = host_of(&lower) else {
        return false;
    };
    if is_platform_lookalike(&host) {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let registrable = |labels: &[&str]| labels[labels.len().saturating_sub(2)..].join(".");
    if let Some(homepage) = homepage.map(str::to_ascii_lowercase)
        && let Some(home_host) = host_of(&homepage)
    {
        let home_labels: Vec<&str> = home_host.split('.').collect();
        if CODE_HOSTS.contains(&home_host.as_str()) {
            let owner_of = |u: &str| -> Option<String> {
                let rest = u.split_once("://")?.1;
                let owner = rest.split('/').nth(1)?;
                (!owner.is_empty()).then(|| owner.to_owned())
            };
            if CODE_HOSTS.contains(&host.as_str())
                && owner_of(&homepage).is_some_and(|o| owner_of(&lower) == Some(o))
            {
                return true;
            }
        } else if registrable(&labels) == registrable(&home_labels) {
            return true;
        }
    }
    let Some(name) = name.map(str::to_ascii_lowercase) else {
        return false;
    };
    let Some(site) = labels.len().checked_sub(2).and_then(|i| labels.get(i)) else {
        return false;
    };
    let joined: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let words = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 4 && !GENERIC_NAME_WORDS.contains(w));
    *site == joined || words.into_iter().any(|w| w == *site)
}

/// Agent command-line programs: started with a skip-permissions flag, or configured through
/// their `config` commands, they run later steps unchecked.
const AGENT_CLIS: &[&str] = &[
    "claude",
    "codex",
    "gemini",
    "openclaw",
    "clawdbot",
    "cursor-agent",
    "opencode",
    "qwen",
    "aider",
    "goose",
];

/// Flags that start an agent with its approvals or sandbox off, whatever the program.
const SAFEGUARD_OFF_FLAGS: &[&str] = &[
    "--dangerously-skip-permissions",
    "--allow-dangerously-skip-permissions",
    "--dangerously-bypass-approvals-and-sandbox",
];

/// The agents' settings files.
const AGENT_SETTINGS_FILES: &[&str] = &[
    ".claude/settings",
    "openclaw.json",
    "clawdbot.json",
    "exec-approvals.json",
    ".codex/config.toml",
    ".gemini/settings.json",
];

/// Settings that switch an agent's safeguards off: (key, value word or "" for any, what it
/// does). Keys and values are matched in lowercase text with quotes and spaces taken out.
const SAFEGUARD_OFF_SETTINGS: &[(&str, &str, &str)] = &[
    (
        "bypasspermissions",
        "",
        "sets the permission mode to bypassPermissions",
    ),
    (
        "danger-full-access",
        "",
        "turns the sandbox off (danger-full-access)",
    ),
    (
        "tools.exec.security",
        "full",
        "sets OpenClaw's exec security to full (no approvals)",
    ),
    (
        "tools.exec.ask",
        "off",
        "turns OpenClaw's exec approval prompts off",
    ),
    ("sandbox.mode", "off", "turns the agent's sandbox off"),
    (
        "security:full",
        "",
        "sets exec approvals to full (no approvals)",
    ),
    ("ask:off", "", "turns exec approval prompts off"),
    (
        "approval_policy=never",
        "",
        "sets the approval policy to never ask",
    ),
    (
        "security.installpolicy",
        "unset",
        "removes OpenClaw's install policy",
    ),
];

/// What a command does to the safeguards of the agent running it, if it switches them off:
/// an agent started in a skip-permissions mode, an agent's `config set` of a bypass, or an
/// edit of an agent's settings file (`jq`, `sed -i`) that writes one.
pub fn agent_safeguards_off(program: &str, args: &[&str]) -> Option<&'static str> {
    let skips_checks = args.iter().any(|arg| {
        let arg = arg.to_ascii_lowercase();
        SAFEGUARD_OFF_FLAGS
            .iter()
            .any(|flag| arg == *flag || arg.starts_with(&format!("{flag}=")))
    });
    if skips_checks {
        return Some("starts an agent with its permission checks off");
    }
    let agent = AGENT_CLIS.contains(&program);
    let lower: Vec<String> = args.iter().map(|a| a.to_ascii_lowercase()).collect();
    if agent
        && lower.iter().enumerate().any(|(i, a)| {
            a == "--yolo"
                || a == "--approval-mode=yolo"
                || (a == "--approval-mode" && lower.get(i + 1).is_some_and(|v| v == "yolo"))
                || (a == "--permission-mode"
                    && lower.get(i + 1).is_some_and(|v| v == "bypasspermissions"))
        })
    {
        return Some("starts an agent in a mode that approves everything");
    }
    let edits_settings = lower
        .iter()
        .any(|a| AGENT_SETTINGS_FILES.iter().any(|f| a.contains(f)));
    if !agent && !edits_settings {
        return None;
    }
    safeguard_off_setting(&lower.join(" "))
}

/// The first setting in `text` (an agent's settings, or a command's words) that switches the
/// agent's safeguards off.
pub fn safeguard_off_setting(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    let squeezed: String = lower
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | ' ' | '\t'))
        .collect();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, '=' | ':' | '"' | '\'' | ',' | '{' | '}'))
        .filter(|w| !w.is_empty())
        .collect();
    SAFEGUARD_OFF_SETTINGS
        .iter()
        .find(|(key, value, _)| {
            squeezed.contains(key) && (value.is_empty() || words.contains(value))
        })
        .map(|(_, _, what)| *what)
}

/// Whether `path` is an agent's settings file.
pub fn is_agent_settings_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    AGENT_SETTINGS_FILES.iter().any(|f| lower.contains(f))
}

/// Words by which a Skill's name or description says it does security work.
const SECURITY_PURPOSE_WORDS: &[&str] = &[
    "security",
    "audit",
    "scanner",
    "scanning",
    "detect",
    "vulnerab",
    "threat",
    "malware",
    "pentest",
    "penetration test",
    "red team",
    "red-team",
    "prompt injection",
    "prompt-injection",
    "harden",
    "forensic",
    "incident response",
];

/// Whether `text` (a Skill's name or description) says the Skill does security work.
pub fn states_security_purpose(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    SECURITY_PURPOSE_WORDS.iter().any(|w| lower.contains(w))
}

/// The host of an http(s) URL (lowercased, without port or credentials), if `text` is one.
pub fn host_of(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    if !matches!(
        scheme.to_ascii_lowercase().as_str(),
        "http" | "https" | "ws" | "wss" | "ftp"
    ) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if authority.starts_with('[') {
        authority.split(']').next().map(|h| format!("{h}]"))?
    } else {
        authority.split(':').next()?.to_owned()
    };
    let host = host.to_ascii_lowercase();
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'))
        && host.contains(['.', '['])
        || host == "localhost";
    valid.then_some(host)
}

/// Every http(s) URL in `text`, with its byte offset.
pub fn urls(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for scheme in ["https://", "http://"] {
        let mut from = 0;
        while let Some(pos) = text[from..].find(scheme) {
            let start = from + pos;
            let end = text[start..]
                .find(|c: char| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '"' | '\'' | '`' | ')' | '>' | '<' | ']' | '|' | ';' | '}' | '\\'
                        )
                })
                .map_or(text.len(), |e| start + e);
            out.push((start, &text[start..end]));
            from = end.max(start + scheme.len());
        }
    }
    out.sort_by_key(|(o, _)| *o);
    out
}

/// The last path component of a program (`/usr/bin/python3` → `python3`), lowercased.
pub fn program_name(word: &str) -> String {
    word.rsplit(['/', '\\'])
        .next()
        .unwrap_or(word)
        .to_ascii_lowercase()
}

/// Whether a program name is an interpreter (`python3.11` counts as `python3`).
pub fn is_interpreter(name: &str) -> bool {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    INTERPRETERS.contains(&name) || INTERPRETERS.contains(&base)
}

/// Programs that read or ship the content of the files they are given.
pub const CONTENT_READERS: &[&str] = &[
    "cat", "head", "tail", "less", "more", "cp", "mv", "tar", "zip", "7z", "gzip", "bzip2", "xz",
    "base64", "xxd", "od", "hexdump", "strings", "jq", "grep", "egrep", "rg", "sed", "awk",
    "sqlite3", "curl", "wget", "scp", "rsync", "nc", "ncat", "socat", "openssl", "gpg", "python",
    "python3", "node", "perl", "ruby", "security", "find", "tee", "dd", "install", "ln", "dig",
    "nslookup", "host", "drill",
];

/// Programs that look names up in DNS: a name built from data is a way to send it out.
pub const DNS_LOOKUPS: &[&str] = &["dig", "nslookup", "host", "drill", "resolve-dnsname"];

/// What a page's script can read of the user's browser session: cookies and web storage, where
/// sites keep session tokens. A script that sends them out is a stealer.
pub(crate) const BROWSER_STORES: &[&str] = &[
    "document.cookie",
    "window.document.cookie",
    "localStorage",
    "sessionStorage",
    "window.localStorage",
    "window.sessionStorage",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(
            classify_source("https://sh.rustup.rs"),
            Source::KnownInstaller
        );
        assert_eq!(
            classify_source("https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh"),
            Source::KnownInstaller
        );
        assert_eq!(
            classify_source("https://install.example.dev/x.sh"),
            Source::Unvetted
        );
        assert_eq!(
            classify_source("https://raw.githubusercontent.com/evil/x/main/i.sh"),
            Source::Unvetted
        );
        assert_eq!(classify_source("http://brew.sh/install"), Source::Throwaway);
        assert_eq!(classify_source("https://91.92.242.30/x"), Source::Throwaway);
        assert_eq!(
            classify_source("https://pastebin.com/raw/abc"),
            Source::Throwaway
        );
        assert_eq!(classify_source("https://evilbrew.sh/x"), Source::Unvetted);
        // Babashka's official installer lives in its repository's raw files.
        assert_eq!(
            classify_source("https://raw.githubusercontent.com/babashka/babashka/master/install"),
            Source::KnownInstaller
        );
        assert_eq!(
            classify_source("https://raw.githubusercontent.com/babashka-tools/x/main/install"),
            Source::Unvetted
        );
        assert_eq!(classify_source("https://t.co/abc"), Source::Throwaway);
    }

    #[test]
    fn hosts_and_urls() {
        assert_eq!(
            host_of("https://user:pw@API.GitHub.com:443/x?y").as_deref(),
            Some("api.github.com")
        );
        assert_eq!(host_of("http://[::1]:8080/").as_deref(), Some("[::1]"));
        assert_eq!(
            host_of("https://localhost:3000").as_deref(),
            Some("localhost")
        );
        assert_eq!(host_of("file:///etc/passwd"), None);
        assert_eq!(host_of("https://${HOST}/x"), None);
        let found = urls("see https://a.com/x) and 'http://b.org/y'");
        assert_eq!(
            found.iter().map(|(_, u)| *u).collect::<Vec<_>>(),
            ["https://a.com/x", "http://b.org/y"]
        );
    }

    #[test]
    fn paths_and_programs() {
        assert_eq!(sensitive_path("cat ~/.ssh/id_rsa"), Some(".ssh/id_"));
        assert_eq!(sensitive_path("~/.config/tool/config.json"), None);
        assert_eq!(sensitive_path("~/.ssh/id_rsa.pub"), None);
        assert_eq!(sensitive_path("~/.clawdbot/skills/x"), None);
        assert!(persistence_path("echo x >> ~/.bashrc").is_some());
        assert_eq!(program_name("/usr/bin/Python3"), "python3");
        assert!(is_interpreter("python3.11") && is_interpreter("bash") && !is_interpreter("git"));
    }

    #[test]
    fn whose_host_a_download_comes_from() {
        assert!(belongs_to_skill(
            "https://cli.inference.sh",
            Some("inference-sh"),
            None
        ));
        assert!(belongs_to_skill(
            "https://dl.acme.dev/i.sh",
            Some("notes"),
            Some("https://www.acme.dev")
        ));
        assert!(belongs_to_skill(
            "https://github.com/acme/cli/releases/download/v1/i.sh",
            None,
            Some("https://github.com/acme/notes")
        ));
        // Generic words of a name, other owners on a code host, and look-alikes are not
        // the Skill's.
        assert!(!belongs_to_skill(
            "https://get.helper.dev/i",
            Some("pdf-helper"),
            None
        ));
        assert!(!belongs_to_skill(
            "https://raw.githubusercontent.com/other/x/main/i.sh",
            None,
            Some("https://github.com/acme/notes")
        ));
        assert!(!belongs_to_skill(
            "https://openclaw-cli.sh/i",
            Some("openclaw-cli"),
            None
        ));
        assert!(is_platform_lookalike("claw-hub.io"));
        assert!(is_platform_lookalike("openclaw-cli.sh"));
        assert!(!is_platform_lookalike("docs.openclaw.ai"));
        assert!(!is_platform_lookalike("claude.ai"));
    }

    #[test]
    fn paste_links_and_safeguards() {
        assert!(is_paste_link("https://rentry.co/abc"));
        assert!(is_paste_link(
            "https://gist.githubusercontent.com/a/b/raw/x.sh"
        ));
        assert!(!is_paste_link("https://discord.com/api/webhooks/1/x"));
        assert!(!is_paste_link("http://100.29.245.213:3456"));
        assert!(!is_paste_link("https://github.com/a/b"));

        let off = |program: &str, args: &[&str]| agent_safeguards_off(program, args).is_some();
        assert!(off(
            "claude",
            &["-p", "x", "--dangerously-skip-permissions"]
        ));
        assert!(off("codex", &["exec", "--yolo", "x"]));
        assert!(off("gemini", &["--approval-mode", "yolo"]));
        assert!(off("claude", &["--permission-mode", "bypassPermissions"]));
        assert!(off(
            "openclaw",
            &["config", "set", "tools.exec.security", "full"]
        ));
        assert!(off(
            "openclaw",
            &["config", "unset", "security.installPolicy"]
        ));
        assert!(off(
            "jq",
            &[
                ".tools.exec.ask = \"off\"",
                "/home/u/.openclaw/openclaw.json"
            ]
        ));
        assert!(!off(
            "openclaw",
            &["config", "set", "tools.exec.security", "allowlist"]
        ));
        assert!(!off("echo", &["--yolo"]));
        assert!(!off(
            "jq",
            &[".tools.exec.security", "/home/u/.openclaw/openclaw.json"]
        ));
        assert!(!off("chromium", &["--no-sandbox"]));
    }
}
