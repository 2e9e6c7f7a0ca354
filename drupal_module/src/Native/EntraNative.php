<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\InvalidArgumentException;

/**
 * The PHP FFI binding of libentra_provisioning: one native client.
 *
 * One instance owns one native client (EntraClient*), created lazily from the
 * configuration on the first operation (or by connect()) and freed by
 * __destruct()/close(). FfiLoader finds, loads and checks the library (shared
 * per process); JsonCodec holds the JSON rules; this class makes the calls and
 * turns each status into a result or a typed exception (checkStatus()).
 *
 * Keep every \FFI call inside this class's own methods or FfiLoader's (no
 * closures, no helpers elsewhere): with ffi.enable=preload, PHP allows the FFI
 * API only to code that was preloaded.
 *
 * Dependency-free and Drupal-free on purpose, so opcache.preload can load it.
 */
final class EntraNative implements NativeClientInterface {

  /**
   * The configuration until the native client exists (then dropped).
   *
   * @var array<string, mixed>|null
   */
  private ?array $config;

  private ?string $forcedMode;

  private ?\FFI $ffi = NULL;

  private string $activeMode = '';

  private ?\FFI\CData $client = NULL;

  /**
   * The OK JSON of entra_client_new (effective endpoints, no secret).
   *
   * @var array<string, mixed>|null
   */
  private ?array $clientInfo = NULL;

  private bool $closed = FALSE;

  /**
   * The overall time budget of each following call (budget_ms), or null
   * for the library's default (call_budget_ms).
   */
  private ?int $callBudgetMs = NULL;

  /**
   * Nothing is loaded here; the library is loaded on first use.
   *
   * @param array<string, mixed> $config
   *   The client configuration (tenant_id, client_id, client_secret,
   *   primary_domain, cloud, ...), see README.
   * @param string|null $libraryPath
   *   Path of libentra_provisioning.so; null = FfiLoader::defaultLibraryPath().
   *   Ignored in preload mode (the preload header names the library).
   * @param string|null $headerPath
   *   Path of the committed entra_provisioning.h; null = FfiLoader::defaultHeaderPath().
   * @param string|null $mode
   *   Force MODE_PRELOAD or MODE_CDEF; null = automatic.
   */
  public function __construct(
    #[\SensitiveParameter]
    array $config,
    private ?string $libraryPath = NULL,
    private ?string $headerPath = NULL,
    ?string $mode = NULL
  ) {
    if ($mode !== NULL && $mode !== FfiLoader::MODE_PRELOAD && $mode !== FfiLoader::MODE_CDEF) {
      throw new \InvalidArgumentException(sprintf('Unknown FFI mode "%s" (expected "preload" or "cdef").', $mode));
    }
    $this->config = $config;
    $this->forcedMode = $mode;
  }

  /**
   * Creates the binding and the native client now, so configuration and
   * load errors surface immediately.
   *
   * @param array<string, mixed> $config
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\NativeUnavailableException
   * @throws \Drupal\entra_provisioning\Native\Exception\ConfigException
   */
  public static function create(
    #[\SensitiveParameter]
    array $config,
    ?string $libraryPath = NULL,
    ?string $headerPath = NULL,
    ?string $mode = NULL
  ): self {
    $native = new self($config, $libraryPath, $headerPath, $mode);
    $native->connect();

    return $native;
  }

  public function __destruct() {
    $this->close();
  }

  /**
   * A native handle must not be duplicated (it would be freed twice).
   */
  private function __clone() {
  }

  /**
   * @return array<string, mixed>
   */
  public function __serialize(): array {
    throw new \LogicException(self::class . ' holds a native handle and cannot be serialized.');
  }

  /**
   * @param array<string, mixed> $data
   */
  public function __unserialize(array $data): void {
    throw new \LogicException(self::class . ' holds a native handle and cannot be unserialized.');
  }

  /**
   * Keeps the configuration (and its secret) out of var_dump()/print_r().
   *
   * @return array<string, mixed>
   */
  public function __debugInfo(): array {
    return [
      'libraryPath' => $this->libraryPath,
      'headerPath' => $this->headerPath,
      'mode' => $this->activeMode !== '' ? $this->activeMode : ($this->forcedMode ?? 'auto (not loaded)'),
      'connected' => $this->client !== NULL,
      'closed' => $this->closed,
      'config' => $this->config === NULL ? NULL : '[REDACTED]',
    ];
  }

  // ---------------------------------------------------------------------
  // The loaded library.
  // ---------------------------------------------------------------------

  /**
   * The mode actually used by this instance (loads the library if needed).
   */
  public function mode(): string {
    $this->ffi();

    return $this->activeMode;
  }

  /**
   * FfiLoader::environment() plus what the loaded library reports.
   *
   * @return array<string, mixed>
   */
  public function info(): array {
    return ['mode' => $this->mode(), 'version' => $this->version(), 'abi_version' => $this->abiVersion()]
      + FfiLoader::environment($this->libraryPath, $this->headerPath);
  }

  public function version(): string {
    return (string) $this->ffi()->entra_version();
  }

  public function abiVersion(): int {
    return (int) $this->ffi()->entra_abi_version();
  }

  /**
   * Loads the library on first use (FfiLoader shares it per process).
   */
  private function ffi(): \FFI {
    if ($this->ffi === NULL) {
      [$this->ffi, $this->activeMode] = FfiLoader::load($this->libraryPath, $this->headerPath, $this->forcedMode);
    }

    return $this->ffi;
  }

  // ---------------------------------------------------------------------
  // Client lifecycle.
  // ---------------------------------------------------------------------

  /**
   * Creates the native client if not done yet.
   *
   * @return array<string, mixed>
   *   The library's description of the effective configuration (endpoints,
   *   cloud, ...; never the secret).
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\ConfigException
   */
  public function connect(): array {
    if ($this->client !== NULL && $this->clientInfo !== NULL) {
      return $this->clientInfo;
    }
    if ($this->closed || $this->config === NULL) {
      throw new \LogicException('This EntraNative client was closed; create a new one.');
    }
    $ffi = $this->ffi();
    $secrets = [];
    $candidates = [$this->config['client_secret'] ?? NULL, $this->config['client_certificate']['private_key_pem'] ?? NULL];
    foreach ($candidates as $value) {
      if (is_string($value) && $value !== '') {
        $secrets[] = $value;
      }
    }
    $json = JsonCodec::encode($this->config, 'the client configuration');
    $handle = $ffi->new('EntraClient*');
    $out = $ffi->new('char*');
    $status = (int) $ffi->entra_client_new($json, \FFI::addr($handle), \FFI::addr($out));
    $info = $this->checkStatus('entra_client_new', $status, $out, $secrets);
    if (\FFI::isNull($handle)) {
      throw new EntraException('entra_client_new returned OK without a client handle.', 'internal', $status, [], 'entra_client_new');
    }
    $this->client = $handle;
    $this->clientInfo = $info;
    $this->config = NULL;

    return $info;
  }

  /**
   * Frees the native client; the instance cannot be used afterwards.
   */
  public function close(): void {
    if ($this->client !== NULL && $this->ffi !== NULL) {
      $client = $this->client;
      $this->client = NULL;
      $this->ffi->entra_client_free($client);
    }
    $this->config = NULL;
    $this->closed = TRUE;
  }

  // ---------------------------------------------------------------------
  // Operations.
  // ---------------------------------------------------------------------

  public function testConnection(string $upn, array $directions = [], array $features = []): array {
    return $this->invoke('entra_test_connection', ['upn' => $upn, 'directions' => array_values($directions), 'features' => array_values($features)]);
  }

  public function mapUser(array $drupalUser): array {
    return $this->invoke('entra_map_user', JsonCodec::listRoles($drupalUser));
  }

  public function findUser(array $query): array {
    return $this->invoke('entra_find_user', $query);
  }

  public function provisionUser(array $drupalUser): array {
    return $this->invoke('entra_provision_user', JsonCodec::listRoles($drupalUser));
  }

  public function updateUser(string $entraId, array $drupalUser, ?array $link = NULL, bool $syncMail = FALSE, bool $syncStatus = TRUE): array {
    $request = ['entra_id' => $entraId, 'user' => JsonCodec::listRoles($drupalUser), 'sync_mail' => $syncMail, 'sync_status' => $syncStatus];
    if ($link !== NULL) {
      $request['link'] = $link;
    }

    return $this->invoke('entra_update_user', $request);
  }

  public function linkUser(string $entraId, array $drupalUser): array {
    return $this->invoke('entra_link_user', ['entra_id' => $entraId, 'user' => JsonCodec::listRoles($drupalUser)]);
  }

  public function decide(array $question): array {
    $ffi = $this->ffi();
    $json = JsonCodec::encode($question, 'the question for entra_decide');
    $out = $ffi->new('char*');
    $status = (int) $ffi->entra_decide($json, \FFI::addr($out));

    return $this->checkStatus('entra_decide', $status, $out);
  }

  public function setCallBudgetMs(?int $milliseconds): void {
    $this->callBudgetMs = $milliseconds !== NULL ? max(1, $milliseconds) : NULL;
  }

  public function disableUser(string $entraId): array {
    return $this->invoke('entra_disable_user', ['entra_id' => $entraId]);
  }

  public function enableUser(string $entraId): array {
    return $this->invoke('entra_enable_user', ['entra_id' => $entraId]);
  }

  public function deleteUser(string $entraId): array {
    return $this->invoke('entra_delete_user', ['entra_id' => $entraId]);
  }

  public function bulkProvision(array $drupalUsers, int $workers = 1): array {
    $users = [];
    foreach ($drupalUsers as $user) {
      if (!is_array($user)) {
        throw new InvalidArgumentException('bulkProvision() expects a list of Drupal user arrays.', 'invalid_argument', -1, [], 'entra_bulk_provision');
      }
      $users[] = JsonCodec::listRoles($user);
    }

    return $this->invoke('entra_bulk_provision', ['users' => $users, 'workers' => max(1, $workers)]);
  }

  public function importDelta(array $request = []): array {
    return $this->invoke('entra_import_delta', $request);
  }

  public function groups(array $request): array {
    return $this->invoke('entra_groups', $request);
  }

  public function groupMembership(string $op, string $groupId, string $userId): array {
    return $this->invoke('entra_group_membership', ['op' => $op, 'group_id' => $groupId, 'user_id' => $userId]);
  }

  /**
   * Counters of this client (token requests, Graph requests, throttled
   * answers, retries), from entra_client_stats.
   *
   * @return array<string, mixed>
   */
  public function clientStats(): array {
    if ($this->client === NULL) {
      $this->connect();
    }
    $ffi = $this->ffi();
    $out = $ffi->new('char*');
    $status = (int) $ffi->entra_client_stats($this->client, \FFI::addr($out));

    return $this->checkStatus('entra_client_stats', $status, $out);
  }

  /**
   * The Graph properties a Drupal field may be mapped to (no client needed).
   *
   * @return array<string, mixed>
   *   ['properties' => [['name' => 'jobTitle', 'max_length' => 128], ...],
   *    'fixed' => ['userPrincipalName', ...]]
   */
  public function mappableProperties(): array {
    $ffi = $this->ffi();
    $out = $ffi->new('char*');
    $status = (int) $ffi->entra_mapping_properties(\FFI::addr($out));

    return $this->checkStatus('entra_mapping_properties', $status, $out);
  }

  /**
   * What the library says about itself (no client needed): its statuses
   * and kinds, configuration defaults, ranges and required fields, limits,
   * clouds and directions. See entra_describe in the header.
   *
   * @return array<string, mixed>
   */
  public function describe(): array {
    $ffi = $this->ffi();
    $out = $ffi->new('char*');
    $status = (int) $ffi->entra_describe(\FFI::addr($out));

    return $this->checkStatus('entra_describe', $status, $out);
  }

  /**
   * The library's check of a certificate credential (no client needed):
   * what is wrong with the certificate and its key, and what the admin
   * compares with the app registration. See entra_check_certificate in the
   * header. Problems are the answer, not exceptions.
   *
   * @param string $certificatePem
   *   The PEM certificate; empty to check the key alone.
   * @param string|null $privateKeyPem
   *   The PEM private key; null or empty to check the certificate alone.
   *
   * @return array<string, mixed>
   *   ['certificate' => ['thumbprint' => 'SHA-1, upper-case hex',
   *   'subject' => 'CN=...', 'not_after' => unix seconds] or null,
   *   'problems' => [['field' => 'client_certificate.private_key_pem',
   *   'message' => '...'], ...]].
   */
  public function checkCertificate(
    string $certificatePem,
    #[\SensitiveParameter]
    ?string $privateKeyPem
  ): array {
    $ffi = $this->ffi();
    $request = ['certificate_pem' => $certificatePem, 'private_key_pem' => $privateKeyPem];
    $json = JsonCodec::encode($request, 'the request for entra_check_certificate');
    $out = $ffi->new('char*');
    $status = (int) $ffi->entra_check_certificate($json, \FFI::addr($out));
    // The library never quotes the key; scrubbing it here too is defence in depth.
    $redact = $privateKeyPem !== NULL && $privateKeyPem !== '' ? [$privateKeyPem] : [];

    return $this->checkStatus('entra_check_certificate', $status, $out, $redact);
  }

  /**
   * Diagnostic: makes the library panic inside its FFI guard.
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\NativePanicException
   *   Always, if the guard works (otherwise the process aborts).
   */
  public function selfTestPanic(): void {
    $ffi = $this->ffi();
    $out = $ffi->new('char*');
    $status = (int) $ffi->entra_selftest_panic(\FFI::addr($out));
    $this->checkStatus('entra_selftest_panic', $status, $out);

    throw new \LogicException('entra_selftest_panic returned OK; it should always report a panic.');
  }

  /**
   * Calls one `EntraStatus f(EntraClient*, const char*, char**)` export.
   *
   * @param array<mixed> $payload
   *
   * @return array<string, mixed>
   */
  private function invoke(string $function, array $payload): array {
    if ($this->client === NULL) {
      $this->connect();
    }
    if ($this->callBudgetMs !== NULL) {
      $payload['budget_ms'] = $this->callBudgetMs;
    }
    $json = JsonCodec::encode($payload, 'the request for ' . $function);
    $ffi = $this->ffi();
    $out = $ffi->new('char*');
    $status = (int) $ffi->{$function}($this->client, $json, \FFI::addr($out));

    return $this->checkStatus($function, $status, $out);
  }

  /**
   * The one place where a status becomes a result or a typed exception.
   *
   * Always frees the native string (entra_string_free, never FFI::free).
   *
   * @param \FFI\CData $out
   *   The char* out-parameter after the call.
   * @param list<string> $redact
   *   Values that must not appear in an exception (defence in depth).
   *
   * @return array<string, mixed>
   *   The decoded result JSON on ENTRA_STATUS_OK.
   */
  private function checkStatus(
    string $function,
    int $status,
    \FFI\CData $out,
    #[\SensitiveParameter]
    array $redact = []
  ): array {
    $json = NULL;
    $isNull = \FFI::isNull($out);
    try {
      if (!$isNull) {
        $json = \FFI::string($out);
      }
    }
    finally {
      if (!$isNull) {
        $this->ffi()->entra_string_free($out);
      }
    }

    if ($status === Status::OK) {
      return JsonCodec::decodeResult($function, $status, $json);
    }

    throw EntraException::fromStatus($status, JsonCodec::decodeError($function, $status, $json, $redact), $function);
  }

}
