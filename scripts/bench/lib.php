<?php

/**
 * @file
 * Shared helpers of the benchmark scripts (scripts/bench/): options, the
 * emulator process and its control API, CPU and memory readings, users.
 *
 * Plain PHP CLI, no Composer, no Drupal. The binding classes come from
 * drupal_module/preload.php (which only defines classes).
 */

declare(strict_types=1);

namespace EntraBench;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;

require_once dirname(__DIR__, 2) . '/drupal_module/preload.php';
require_once dirname(__DIR__, 2) . '/drupal_module/tests/src/Support/EmulatorProcess.php';

const TENANT_ID = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const CLIENT_SECRET = 'emulator-secret';
const DOMAIN = 'contoso.onmicrosoft.com';

/**
 * Command-line options: --key=value, else the environment variable
 * BENCH_KEY (upper case, '-' → '_'), else the default.
 */
final class Options
{
    /**
     * Every option a bench script reads (a typo is an error, not a default).
     */
    private const KNOWN = [
        'only', 'out', 'library', 'header', 'emulator', 'users', 'chunk', 'write-budget', 'write-window-s',
        'quota-latency-ms', 'latency-ms', 'latency-users', 'baseline-users', 'max-concurrency',
        'memory-users', 'map-calls', 'rounds', 'load-runs', 'which', 'accounts', 'module-small', 'module-large',
        'processes', 'client-budget', 'url', 'offset', 'workers', 'registry', 'backlog',
    ];

    /**
     * @var array<string, string>
     */
    private array $cli = [];

    /**
     * @param list<string> $argv
     */
    public function __construct(array $argv)
    {
        foreach (array_slice($argv, 1) as $arg) {
            if (preg_match('/^--([a-z0-9-]+)=(.*)$/s', $arg, $m) === 1) {
                $this->cli[$m[1]] = $m[2];
            } elseif (preg_match('/^--([a-z0-9-]+)$/', $arg, $m) === 1) {
                $this->cli[$m[1]] = '1';
            } else {
                $m = [1 => $arg];
            }
            if (!in_array($m[1], self::KNOWN, true)) {
                fwrite(STDERR, "bench: unknown argument $arg (known: --" . implode('=, --', self::KNOWN) . "=)\n");
                exit(2);
            }
        }
    }

    public function string(string $key, string $default): string
    {
        if (isset($this->cli[$key])) {
            return $this->cli[$key];
        }
        $env = getenv('BENCH_' . strtoupper(str_replace('-', '_', $key)));

        return is_string($env) && $env !== '' ? $env : $default;
    }

    public function int(string $key, int $default): int
    {
        $value = $this->string($key, (string) $default);
        if (!preg_match('/^\d+$/', $value)) {
            fwrite(STDERR, "bench: --$key must be a non-negative integer, got '$value'\n");
            exit(2);
        }

        return (int) $value;
    }

    public function float(string $key, float $default): float
    {
        $value = $this->string($key, (string) $default);
        if (!is_numeric($value)) {
            fwrite(STDERR, "bench: --$key must be a number, got '$value'\n");
            exit(2);
        }

        return (float) $value;
    }

    /**
     * Paths of the release library, header and emulator (absolute).
     *
     * @return array{library: string, header: string, emulator: string}
     */
    public function artifacts(): array
    {
        $root = dirname(__DIR__, 2);
        $paths = [
            'library' => $this->string('library', $root . '/target/release/libentra_provisioning.so'),
            'header' => $this->string('header', $root . '/include/entra_provisioning.h'),
            'emulator' => $this->string('emulator', $root . '/target/release/entra-graph-emulator'),
        ];
        foreach ($paths as $what => $path) {
            if (!is_file($path)) {
                fwrite(STDERR, "bench: the $what $path does not exist (run 'cargo build --release --workspace')\n");
                exit(2);
            }
            $paths[$what] = (string) realpath($path);
        }

        return $paths;
    }
}

/**
 * The release emulator on a free loopback port: the tests' EmulatorProcess (start, URL,
 * control API), plus the CPU and memory readings a benchmark needs.
 */
final class Emulator
{
    private EmulatorProcess $process;

    /**
     * @param list<string> $args
     */
    public function __construct(string $binary, array $args)
    {
        $this->process = EmulatorProcess::start($binary, $args);
    }

    public function stop(): void
    {
        $this->process->stop();
    }

    public function url(): string
    {
        return $this->process->url();
    }

    /**
     * CPU seconds (user + system) the emulator process has used so far.
     */
    public function cpuSeconds(): float
    {
        return process_cpu_seconds($this->process->pid());
    }

    /**
     * Resident set size of the emulator (VmRSS), MiB.
     */
    public function rssMib(): float
    {
        return status_kib($this->process->pid(), 'VmRSS') / 1024;
    }

    /**
     * A call to the control API (/_emulator/...).
     *
     * @param array<mixed>|null $body
     *
     * @return array<mixed>
     */
    public function control(string $method, string $path, ?array $body = null): array
    {
        return $this->process->call($method, '/_emulator/' . ltrim($path, '/'), $body);
    }

    /**
     * @return array<string, mixed>
     */
    public function stats(): array
    {
        return $this->process->stats();
    }

    /**
     * The request log.
     *
     * @return list<array<string, mixed>>
     */
    public function requests(): array
    {
        return array_values($this->process->requests());
    }
}

/**
 * CPU seconds (utime + stime) of a process, from /proc/<pid>/stat.
 */
function process_cpu_seconds(int $pid): float
{
    $stat = (string) @file_get_contents("/proc/$pid/stat");
    $close = strrpos($stat, ')');
    if ($close === false) {
        return 0.0;
    }
    // Fields after "pid (comm)": state is field 3, utime 14, stime 15.
    $fields = preg_split('/\s+/', trim(substr($stat, $close + 1)));
    static $tck = null;
    if ($tck === null) {
        $tck = (int) trim((string) @shell_exec('getconf CLK_TCK 2>/dev/null'));
        $tck = $tck > 0 ? $tck : 100;
    }

    return ((int) ($fields[11] ?? 0) + (int) ($fields[12] ?? 0)) / $tck;
}

/**
 * CPU seconds of this PHP process, all threads (the library's tokio workers too).
 */
function self_cpu_seconds(): float
{
    $u = getrusage();

    return $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6 + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6;
}

/**
 * A kB value of /proc/<pid>/status (VmHWM, VmRSS, ...).
 */
function status_kib($pid, string $key): int
{
    $status = (string) @file_get_contents("/proc/$pid/status");

    return preg_match('/^' . preg_quote($key, '/') . ':\s+(\d+)\s+kB/m', $status, $m) === 1 ? (int) $m[1] : 0;
}

/**
 * Drupal user arrays "<prefix><i>" for i in [$from, $from + $count).
 *
 * @return list<array<string, mixed>>
 */
function drupal_users(string $prefix, int $from, int $count): array
{
    $users = [];
    for ($i = $from; $i < $from + $count; $i++) {
        $name = $prefix . $i;
        $users[] = ['uid' => $i + 1, 'name' => $name, 'mail' => $name . '@example.com', 'status' => 1, 'roles' => ['authenticated'], 'fields' => []];
    }

    return $users;
}

/**
 * The library configuration for an emulator.
 *
 * @param array<string, mixed> $overrides
 *
 * @return array<string, mixed>
 */
function client_config(string $url, array $overrides = []): array
{
    return array_replace([
        'tenant_id' => TENANT_ID,
        'client_id' => CLIENT_ID,
        'client_secret' => CLIENT_SECRET,
        'primary_domain' => DOMAIN,
        'login_endpoint' => $url,
        'graph_endpoint' => $url,
        'timeout_ms' => 30000,
    ], $overrides);
}

/**
 * @param array{library: string, header: string, emulator: string} $paths
 * @param array<string, mixed> $config
 */
function native(array $paths, array $config): EntraNative
{
    return new EntraNative($config, $paths['library'], $paths['header'], FfiLoader::MODE_CDEF);
}

/**
 * Bulk-provisions $users in chunks; returns counts and per-chunk timings.
 *
 * @param list<array<string, mixed>> $users
 *
 * @param callable(list<array<string, mixed>>): array<string, mixed>|null $send
 *   Sends one chunk (default: $native->bulkProvision()).
 *
 * @return array{created: int, linked: int, failed: int, chunks: int, call_s: list<float>, gap_s: list<float>, errors: array<string, int>}
 */
function bulk_in_chunks(EntraNative $native, array $users, int $chunk, ?callable $afterChunk = null, ?callable $send = null): array
{
    $out = ['created' => 0, 'linked' => 0, 'failed' => 0, 'chunks' => 0, 'call_s' => [], 'gap_s' => [], 'errors' => []];
    $lastEnd = null;
    foreach (array_chunk($users, max(1, $chunk)) as $part) {
        $start = hrtime(true);
        if ($lastEnd !== null) {
            $out['gap_s'][] = ($start - $lastEnd) / 1e9;
        }
        $result = $send !== null ? $send($part) : $native->bulkProvision($part);
        $end = hrtime(true);
        $out['call_s'][] = ($end - $start) / 1e9;
        $out['chunks']++;
        foreach ($result['results'] as $r) {
            if ($r['ok'] ?? false) {
                $out[($r['action'] ?? '') === 'linked' ? 'linked' : 'created']++;
            } else {
                $out['failed']++;
                $kind = (string) ($r['error']['kind'] ?? 'unknown');
                $out['errors'][$kind] = ($out['errors'][$kind] ?? 0) + 1;
            }
        }
        unset($result, $part);
        if ($afterChunk !== null) {
            $afterChunk();
        }
        $lastEnd = hrtime(true);
    }

    return $out;
}

/**
 * What the emulator's request log says about throttling, judged on every sub-request and
 * single request ($batch envelopes are not judged themselves):
 * - requests_judged, answered_429 and pct_429;
 * - sent_during_known_retry_after: arrivals later than the answer carrying a 429 + one latency
 *   (what was already on its way is excluded) and earlier than its Retry-After ran out (counted
 *   from the throttled request's own arrival). A sub-request's 429 reaches the client with its
 *   whole $batch answer, i.e. after the batch's last sub-request was handled: that is when the
 *   client can know its Retry-After;
 * - creates_s: the arrival times (s) of the creates answered 201, sorted.
 *
 * @param list<array<string, mixed>> $log
 *
 * @return array{requests_judged: int, answered_429: int, pct_429: float, sent_during_known_retry_after: int, creates_s: list<float>}
 */
function throttle_analysis(array $log, int $latencyMs): array
{
    // BENCH_DUMP_LOG=<file>: keep the emulator's request log for a closer look at a run.
    $dump = getenv('BENCH_DUMP_LOG');
    if (is_string($dump) && $dump !== '') {
        file_put_contents($dump, json_encode($log, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
    }
    $isEnvelope = static fn (array $e): bool => ($e['path'] ?? '') === '/v1.0/$batch' && empty($e['in_batch']);
    $judged = 0;
    $answered429 = 0;
    $created = [];
    $throttles = [];
    $batchEnd = [];
    foreach ($log as $entry) {
        if (isset($entry['batch_seq'])) {
            $b = $entry['batch_seq'];
            $batchEnd[$b] = max($batchEnd[$b] ?? 0.0, (float) $entry['t_ms']);
        }
        if ($isEnvelope($entry)) {
            continue;
        }
        $judged++;
        $status = (int) $entry['status'];
        if ($status === 429) {
            $answered429++;
            if (isset($entry['retry_after_s'])) {
                $throttles[] = [(float) $entry['t_ms'], (float) $entry['retry_after_s'] * 1000, $entry['batch_seq'] ?? null];
            }
        }
        if ($entry['method'] === 'POST' && $entry['path'] === '/v1.0/users' && $status === 201) {
            $created[] = (float) $entry['t_ms'] / 1000;
        }
    }
    foreach ($throttles as $k => [$t429, , $batch]) {
        $throttles[$k][2] = $batch === null ? $t429 : ($batchEnd[$batch] ?? $t429);
    }
    $early = 0;
    foreach ($log as $entry) {
        if ($isEnvelope($entry)) {
            continue;
        }
        $t = (float) $entry['t_ms'];
        foreach ($throttles as [$t429, $after, $known]) {
            if ($t > $known + $latencyMs + 2 && $t < $t429 + $after) {
                $early++;
                break;
            }
        }
    }
    sort($created);

    return [
        'requests_judged' => $judged,
        'answered_429' => $answered429,
        'pct_429' => $judged > 0 ? 100.0 * $answered429 / $judged : 0.0,
        'sent_during_known_retry_after' => $early,
        'creates_s' => $created,
    ];
}

/**
 * The sustained create rate after the emulator's first window (which is free: a client may
 * spend it at once), as a fraction of the ceiling.
 *
 * @param list<float> $creates
 *   Arrival times (s) of the creates, sorted.
 *
 * @return array{span_s: float, per_s: float, ratio: float}
 */
function steady_ratio(array $creates, int $budget, float $ceiling): array
{
    $span = $creates === [] ? 0.0 : end($creates) - $creates[0];
    $perS = $span > 0 && count($creates) > $budget ? (count($creates) - $budget) / $span : 0.0;

    return ['span_s' => $span, 'per_s' => $perS, 'ratio' => $ceiling > 0 ? $perS / $ceiling : 0.0];
}

function median(array $values): float
{
    if ($values === []) {
        return 0.0;
    }
    sort($values);
    $n = count($values);

    return $n % 2 === 1 ? (float) $values[intdiv($n, 2)] : ($values[$n / 2 - 1] + $values[$n / 2]) / 2;
}

/**
 * Prints the scenario's result as the last stdout line (JSON) for run.php.
 *
 * @param array<string, mixed> $result
 */
function emit(array $result): void
{
    echo 'BENCH_RESULT=' . json_encode($result, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR) . "\n";
}

/**
 * A progress line on stdout (run.php relays it to its stderr as it comes).
 */
function note(string $message): void
{
    fwrite(STDOUT, '  ' . $message . "\n");
    fflush(STDOUT);
}
