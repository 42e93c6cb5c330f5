# Homebrew formula for the prebuilt skillsig release archives (scripts/build-release.sh).
#
#   brew install --formula packaging/homebrew/skillsig.rb
#
# The version and the sha256 lines are written by `scripts/update-homebrew.sh SHA256SUMS` from
# the release's signed SHA256SUMS; the all-zero placeholders never match a download, so an
# unfilled formula fails instead of installing something unchecked.
class Skillsig < Formula
  desc "Pack, sign, verify, scan and install AI-agent Skills"
  homepage "https://github.com/skillsig/skillsig"
  version "0.1.0"
  license any_of: ["MIT", "Apache-2.0"]

  on_macos do
    on_arm do
      url "https://github.com/skillsig/skillsig/releases/download/v0.1.0/skillsig-v0.1.0-aarch64-apple-darwin.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
    on_intel do
      url "https://github.com/skillsig/skillsig/releases/download/v0.1.0/skillsig-v0.1.0-x86_64-apple-darwin.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
  end

  on_linux do
    on_arm do
      url "https://github.com/skillsig/skillsig/releases/download/v0.1.0/skillsig-v0.1.0-aarch64-unknown-linux-musl.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
    on_intel do
      url "https://github.com/skillsig/skillsig/releases/download/v0.1.0/skillsig-v0.1.0-x86_64-unknown-linux-musl.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
  end

  def install
    bin.install "skillsig"
    generate_completions_from_executable(bin/"skillsig", "completions")
    (man1/"skillsig.1").write Utils.safe_popen_read(bin/"skillsig", "man")
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/skillsig --version")
  end
end
