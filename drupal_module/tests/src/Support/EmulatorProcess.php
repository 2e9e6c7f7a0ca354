<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support;

/**
 * Runs the entra-graph-emulator binary for a test and wraps its control API.
 *
 * The emulator prints "EMULATOR_URL=http://127.0.0.1:PORT" on stdout once it
 * listens. stdout and stderr go to temporary files (never a pipe that could
 * fill up and block the emulator).
 */
final class EmulatorProcess {

  public const TENANT_ID = '11111111-2222-3333-4444-555555555555';
  public const DOMAIN = 'contoso.onmicrosoft.com';
  public const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  public const CLIENT_SECRET = 'emulator-secret';

  /**
   * @var resource|null
   */
  private $process;

  private string $url;

  private string $stdoutFile;

  private string $stderrFile;

  private int $pid;

  /**
   * @param resource $process
   */
  private function __construct($process, string $url, string $stdoutFile, string $stderrFile, int $pid) {
    $this->process = $process;
    $this->url = $url;
    $this->stdoutFile = $stdoutFile;
    $this->stderrFile = $stderrFile;
    $this->pid = $pid;
  }

  /**
   * Starts the emulator and waits for its URL line.
   *
   * @param list<string> $args
   *   Extra CLI flags, e.g. ['--seed-user', 'adele@contoso.onmicrosoft.com|Adele Vance|adele@contoso.com'].
   */
  public static function start(string $binary, array $args = [], float $timeoutSeconds = 15.0): self {
    if (!is_file($binary) || !is_executable($binary)) {
      throw new \RuntimeException(sprintf('Emulator binary %s is missing or not executable.', $binary));
    }
    $stdoutFile = (string) tempnam(sys_get_temp_dir(), 'entra-emu-out-');
    $stderrFile = (string) tempnam(sys_get_temp_dir(), 'entra-emu-err-');
    $command = array_merge([$binary], in_array('--port', $args, TRUE) ? [] : ['--port', '0'], $args);
    $process = proc_open(
      $command,
      [0 => ['file', '/dev/null', 'r'], 1 => ['file', $stdoutFile, 'w'], 2 => ['file', $stderrFile, 'w']],
      $pipes
    );
    if (!is_resource($process)) {
      throw new \RuntimeException('proc_open failed for ' . $binary);
    }
    $pid = (int) (proc_get_status($process)['pid'] ?? 0);
    $deadline = microtime(TRUE) + $timeoutSeconds;
    while (TRUE) {
      $out = (string) @file_get_contents($stdoutFile);
      if (preg_match('/^EMULATOR_URL=(\S+)\s*$/m', $out, $m) === 1) {
        return new self($process, rtrim($m[1], '/'), $stdoutFile, $stderrFile, $pid);
      }
      $status = proc_get_status($process);
      if (!$status['running']) {
        $err = (string) @file_get_contents($stderrFile);
        proc_close($process);
        @unlink($stdoutFile);
        @unlink($stderrFile);
        throw new \RuntimeException(sprintf(
          'Emulator exited with code %d before printing EMULATOR_URL. stdout: %s stderr: %s',
          $status['exitcode'],
          trim($out),
          trim($err)
        ));
      }
      if (microtime(TRUE) > $deadline) {
        proc_terminate($process, 9);
        proc_close($process);
        throw new \RuntimeException(sprintf('Emulator printed no EMULATOR_URL line within %.1f s.', $timeoutSeconds));
      }
      usleep(10000);
    }
  }

  public function __destruct() {
    $this->stop();
  }

  public function url(): string {
    return $this->url;
  }

  public function pid(): int {
    return $this->pid;
  }

  /**
   * Stops the emulator (SIGTERM, then SIGKILL after 3 s). Idempotent.
   */
  public function stop(): void {
    if ($this->process === NULL) {
      return;
    }
    $process = $this->process;
    $this->process = NULL;
    $status = proc_get_status($process);
    if ($status['running']) {
      proc_terminate($process, 15);
      $deadline = microtime(TRUE) + 3.0;
      while (proc_get_status($process)['running'] && microtime(TRUE) < $deadline) {
        usleep(10000);
      }
      if (proc_get_status($process)['running']) {
        proc_terminate($process, 9);
      }
    }
    proc_close($process);
    @unlink($this->stdoutFile);
    @unlink($this->stderrFile);
  }

  /**
   * What the emulator wrote to stderr so far (for failure messages).
   */
  public function stderr(): string {
    return (string) @file_get_contents($this->stderrFile);
  }

  /**
   * A client configuration for entra_client_new pointing at this emulator.
   *
   * @param array<string, mixed> $overrides
   *
   * @return array<string, mixed>
   */
  public function clientConfig(array $overrides = []): array {
    return array_replace([
      'tenant_id' => self::TENANT_ID,
      'client_id' => self::CLIENT_ID,
      'client_secret' => self::CLIENT_SECRET,
      'primary_domain' => self::DOMAIN,
      'cloud' => 'global',
      'login_endpoint' => $this->url,
      'graph_endpoint' => $this->url,
      'timeout_ms' => 5000,
      'max_retries' => 3,
    ], $overrides);
  }

  // -----------------------------------------------------------------
  // Control API.
  // -----------------------------------------------------------------

  /**
   * GET /_emulator/requests: the request log.
   *
   * @return array<mixed>
   */
  public function requests(): array {
    return $this->call('GET', '/_emulator/requests');
  }

  /**
   * GET /_emulator/users.
   *
   * @return array<mixed>
   */
  public function users(): array {
    return $this->call('GET', '/_emulator/users');
  }

  /**
   * GET /_emulator/stats.
   *
   * @return array<mixed>
   */
  public function stats(): array {
    return $this->call('GET', '/_emulator/stats');
  }

  /**
   * POST /_emulator/faults with one rule: method, path_contains, in_batch,
   * status, retry_after_s, reset, delay_ms, count, probability, after_commit.
   *
   * @param array<string, mixed> $rule
   *
   * @return array<mixed>
   */
  public function addFault(array $rule): array {
    return $this->call('POST', '/_emulator/faults', $rule);
  }

  /**
   * DELETE /_emulator/faults.
   *
   * @return array<mixed>
   */
  public function clearFaults(): array {
    return $this->call('DELETE', '/_emulator/faults');
  }

  /**
   * POST /_emulator/config.
   *
   * @param array<string, mixed> $config
   *
   * @return array<mixed>
   */
  public function configure(array $config): array {
    return $this->call('POST', '/_emulator/config', $config);
  }

  /**
   * POST /_emulator/reset.
   *
   * @return array<mixed>
   */
  public function reset(): array {
    return $this->call('POST', '/_emulator/reset');
  }

  /**
   * Any HTTP call against the emulator.
   *
   * @param array<mixed>|null $body
   *
   * @return array<mixed>
   */
  public function call(string $method, string $path, ?array $body = NULL): array {
    [$status, $raw] = $this->http($method, $path, $body);
    if ($status < 200 || $status >= 300) {
      throw new \RuntimeException(sprintf('%s %s answered %d: %s', $method, $path, $status, $raw));
    }
    if (trim($raw) === '') {
      return [];
    }
    $decoded = json_decode($raw, TRUE, 512, JSON_THROW_ON_ERROR);

    return is_array($decoded) ? $decoded : ['value' => $decoded];
  }

  /**
   * A Graph call with the app's own token, as a tenant admin or another app
   * holding User.ReadWrite.All would make it (not through the library).
   *
   * @param array<mixed>|null $body
   *
   * @return array{0: int, 1: string}
   *   [HTTP status, body].
   */
  public function graphAsApp(string $method, string $path, ?array $body = NULL): array {
    $context = stream_context_create(['http' => [
      'method' => 'POST',
      'header' => 'Content-Type: application/x-www-form-urlencoded',
      'content' => http_build_query([
        'client_id' => self::CLIENT_ID,
        'client_secret' => self::CLIENT_SECRET,
        'scope' => $this->url . '/.default',
        'grant_type' => 'client_credentials',
      ]),
      'ignore_errors' => TRUE,
    ]]);
    $token = json_decode((string) file_get_contents($this->url . '/' . self::TENANT_ID . '/oauth2/v2.0/token', FALSE, $context), TRUE);
    if (!is_string($token['access_token'] ?? NULL)) {
      throw new \RuntimeException('The emulator issued no token to the app.');
    }

    return $this->http($method, $path, $body, ['Authorization' => 'Bearer ' . $token['access_token']]);
  }

  /**
   * @param array<mixed>|null $body
   *
   * @return array{0: int, 1: string}
   *   [HTTP status, body].
   */
  public function http(string $method, string $path, ?array $body = NULL, array $headers = []): array {
    $headerLines = ['Accept: application/json', 'Connection: close'];
    $content = '';
    if ($body !== NULL) {
      $content = json_encode($body === [] ? new \stdClass() : $body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
      $headerLines[] = 'Content-Type: application/json';
    }
    foreach ($headers as $name => $value) {
      $headerLines[] = $name . ': ' . $value;
    }
    $context = stream_context_create(['http' => [
      'method' => $method,
      'header' => implode("\r\n", $headerLines),
      'content' => $content,
      'ignore_errors' => TRUE,
      'timeout' => 10,
    ]]);
    $http_response_header = [];
    $raw = @file_get_contents($this->url . $path, FALSE, $context);
    if ($raw === FALSE) {
      throw new \RuntimeException(sprintf('%s %s failed: %s', $method, $path, error_get_last()['message'] ?? 'no connection'));
    }
    $responseHeaders = function_exists('http_get_last_response_headers')
      ? (http_get_last_response_headers() ?? [])
      : $http_response_header;
    $status = 0;
    foreach ($responseHeaders as $line) {
      if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m) === 1) {
        $status = (int) $m[1];
      }
    }

    return [$status, $raw];
  }

}
