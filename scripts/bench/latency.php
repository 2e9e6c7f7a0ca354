<?php

/**
 * @file
 * Scenario 2, latency-bound: throttling off, every answer delayed. Our bulk
 * path (bulkProvision: 20 creates per $batch, max_concurrency batches in
 * flight) against a sequential PHP baseline doing what common PHP modules do
 * per user: a token request, GET /users?$filter=mail eq '...', POST /users,
 * with PHP curl over plain HTTP. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/latency.php [--latency-users=2000]
 *       [--baseline-users=100] [--latency-ms=50] [--chunk=1000]
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$n = $opts->int('latency-users', 2000);
$baselineN = $opts->int('baseline-users', 100);
$latency = $opts->int('latency-ms', 50);
$chunk = $opts->int('chunk', 1000);
$concurrency = $opts->int('max-concurrency', 4);

$emulator = new Emulator($paths['emulator'], ['--no-throttle', '--latency-ms', (string) $latency]);

// --- Our bulk path. ---------------------------------------------------------------------------
$native = native($paths, client_config($emulator->url(), ['write_budget' => null, 'max_concurrency' => $concurrency]));
$native->connect();
note(sprintf('latency: bulk of %d users, latency %d ms, max_concurrency %d', $n, $latency, $concurrency));
$emuCpu0 = $emulator->cpuSeconds();
$cpu0 = self_cpu_seconds();
$t0 = hrtime(true);
$bulk = bulk_in_chunks($native, drupal_users('bulk.user', 0, $n), $chunk);
$bulkWall = (hrtime(true) - $t0) / 1e9;
$bulkCpu = self_cpu_seconds() - $cpu0;
$bulkEmuCpu = $emulator->cpuSeconds() - $emuCpu0;
$client = $native->clientStats();
$native->close();

// --- Sequential PHP baseline. ---------------------------------------------------------------------
note(sprintf('latency: sequential PHP curl baseline, %d users (3 requests each)', $baselineN));
$url = $emulator->url();
// One curl handle for the run (keep-alive): the baseline's best case.
$ch = curl_init();
$request = static function (string $method, string $target, ?string $body, array $headers) use ($ch): array {
    curl_setopt_array($ch, [
        CURLOPT_URL => $target,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_HTTPHEADER => $headers,
        CURLOPT_TIMEOUT => 30,
    ]);
    if ($method === 'GET') {
        curl_setopt($ch, CURLOPT_HTTPGET, true);
    } else {
        curl_setopt($ch, CURLOPT_POSTFIELDS, $body ?? '');
    }
    $raw = curl_exec($ch);
    if ($raw === false) {
        throw new \RuntimeException("$method $target: " . curl_error($ch));
    }

    return [(int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE), json_decode((string) $raw, true)];
};
$password = static function (): string {
    // 16 random characters plus one of each class, as modules usually do.
    return substr(strtr(base64_encode(random_bytes(18)), '+/', 'xy'), 0, 16) . 'aA1!';
};
$emuCpu0 = $emulator->cpuSeconds();
$cpu0 = self_cpu_seconds();
$t0 = hrtime(true);
$baselineCreated = 0;
$baselineRequests = 0;
foreach (drupal_users('seq.user', 0, $baselineN) as $user) {
    [$status, $token] = $request('POST', $url . '/' . TENANT_ID . '/oauth2/v2.0/token', http_build_query([
        'client_id' => CLIENT_ID, 'client_secret' => CLIENT_SECRET,
        'scope' => 'https://graph.microsoft.com/.default', 'grant_type' => 'client_credentials',
    ]), ['Content-Type: application/x-www-form-urlencoded']);
    $baselineRequests++;
    if ($status !== 200) {
        throw new \RuntimeException('baseline token request answered ' . $status);
    }
    $auth = ['Authorization: Bearer ' . $token['access_token'], 'Accept: application/json'];
    $filter = rawurlencode("mail eq '" . str_replace("'", "''", $user['mail']) . "'");
    [$status, $found] = $request('GET', $url . '/v1.0/users?$filter=' . $filter, null, $auth);
    $baselineRequests++;
    if ($status !== 200) {
        throw new \RuntimeException('baseline lookup answered ' . $status);
    }
    if (($found['value'] ?? []) !== []) {
        continue;
    }
    [$status] = $request('POST', $url . '/v1.0/users', json_encode([
        'accountEnabled' => true,
        'displayName' => $user['name'],
        'mailNickname' => str_replace('.', '', $user['name']),
        'userPrincipalName' => $user['name'] . '@' . DOMAIN,
        'mail' => $user['mail'],
        'passwordProfile' => ['password' => $password(), 'forceChangePasswordNextSignIn' => true],
    ], JSON_THROW_ON_ERROR), array_merge($auth, ['Content-Type: application/json']));
    $baselineRequests++;
    if ($status !== 201) {
        throw new \RuntimeException('baseline create answered ' . $status);
    }
    $baselineCreated++;
}
$baselineWall = (hrtime(true) - $t0) / 1e9;
$baselineCpu = self_cpu_seconds() - $cpu0;
$baselineEmuCpu = $emulator->cpuSeconds() - $emuCpu0;
curl_close($ch);

$stats = $emulator->stats();
$bulkRate = $bulk['created'] / $bulkWall;
$baselineRate = $baselineCreated / $baselineWall;
emit([
    'latency_ms' => $latency,
    'max_concurrency' => $concurrency,
    'bulk_users' => $n,
    'bulk_created' => $bulk['created'],
    'bulk_failed' => $bulk['failed'],
    'bulk_wall_s' => $bulkWall,
    'bulk_users_per_s' => $bulkRate,
    'bulk_requests' => (int) ($client['graph_requests'] ?? 0) + (int) ($client['token_requests'] ?? 0),
    'bulk_client_cpu_s' => $bulkCpu,
    'bulk_emulator_cpu_s' => $bulkEmuCpu,
    'bulk_emulator_cpu_share' => $bulkEmuCpu / $bulkWall,
    'bulk_client_cpu_share' => $bulkCpu / $bulkWall,
    'baseline_users' => $baselineN,
    'baseline_created' => $baselineCreated,
    'baseline_requests' => $baselineRequests,
    'baseline_wall_s' => $baselineWall,
    'baseline_users_per_s' => $baselineRate,
    'baseline_client_cpu_s' => $baselineCpu,
    'baseline_emulator_cpu_s' => $baselineEmuCpu,
    'ratio' => $baselineRate > 0 ? $bulkRate / $baselineRate : 0.0,
    'emulator_users' => (int) $stats['users'],
]);
$emulator->stop();
