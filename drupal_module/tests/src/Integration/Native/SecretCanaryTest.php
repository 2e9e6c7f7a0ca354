<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Integration\Provisioning\ProvisioningTestTrait;

/**
 * Secret canary: a unique client secret and the passwords the library
 * generates must appear nowhere but in the token request (secret) and the
 * create requests (password) the emulator logged.
 *
 * The emulator's log is switched to verbatim bodies (redact_log: false), so
 * the test learns every generated password from the create requests
 * (top-level POST /users and $batch sub-requests) and can look for it
 * everywhere else: results, exceptions (message, toArray(), trace), mapUser
 * output, PSR-3 log records, link records, State, queue items, the emulator's
 * other log entries and its user store.
 *
 * Every operation runs, failures included: wrong secret (401), a read-only app
 * (403), persistent 429, 500, 503, connection resets, validation errors,
 * configuration errors, a contained panic, bulk with failures, delta import;
 * through the binding and through the Drupal-free Provisioner + QueueRunner.
 */
final class SecretCanaryTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private string $secret;

  private string $wrongSecret;

  /**
   * Everything the PHP side handed back or recorded: label => value.
   *
   * @var list<array{0: string, 1: mixed}>
   */
  private array $seen = [];

  /**
   * What the run went through: error kinds, exception classes, outcomes.
   *
   * @var array<string, int>
   */
  private array $covered = [];

  public function testNeitherTheSecretNorAnyPasswordLeaks(): void {
    $this->secret = 'canarySecret-' . bin2hex(random_bytes(12));
    $this->wrongSecret = 'canaryWrong-' . bin2hex(random_bytes(12));
    $appArgs = ['--client-id', EmulatorProcess::CLIENT_ID, '--client-secret', $this->secret];
    $emulator = $this->startEmulator($appArgs);
    $readOnly = $this->startEmulator(array_merge($appArgs, ['--permissions', 'User.Read.All']));
    foreach ([$emulator, $readOnly] as $e) {
      $this->assertFalse($e->configure(['redact_log' => FALSE])['redact_log'] ?? NULL, 'the emulator keeps request bodies verbatim');
    }

    $this->throughTheBinding($emulator, $readOnly);
    $this->throughTheProvisioner($emulator, $readOnly);
    $covered = json_encode($this->covered) ?: '';
    foreach (['AuthException', 'PermissionException', 'ThrottledException', 'TransientException', 'ValidationException',
      'ConfigException', 'NativePanicException', 'InvalidArgumentException', 'NotFoundException',
      'ConflictException', 'bulk:created', 'bulk:validation', 'bulk:conflict', 'bulk:throttled', 'bulk:transient', 'bulk:auth', 'bulk:permission',
      'outcome:done', 'outcome:retry', 'outcome:failed', 'outcome:blocked', 'outcome:review'] as $expected) {
      $this->assertArrayHasKey($expected, $this->covered, 'the canary run covers ' . $expected . ': ' . $covered);
    }

    // What the emulator saw: learn the passwords, prove the log is verbatim.
    $logs = ['main' => $emulator->requests(), 'read-only' => $readOnly->requests()];
    $passwords = [];
    $tokenRequestsWithSecret = 0;
    foreach ($logs as $entries) {
      foreach ($entries as $entry) {
        $passwords = array_merge($passwords, self::passwordsIn($entry));
        if (self::isTokenRequest($entry) && str_contains((string) $entry['body'], rawurlencode($this->secret))) {
          $tokenRequestsWithSecret++;
        }
      }
    }
    $passwords = array_values(array_unique($passwords));
    $this->assertGreaterThanOrEqual(20, count($passwords), 'creates were sent, and the emulator logged their passwords verbatim');
    $this->assertGreaterThan(0, $tokenRequestsWithSecret, 'the emulator logged the secret in token requests verbatim');
    foreach ($passwords as $password) {
      $this->assertGreaterThanOrEqual(16, strlen($password));
    }
    $canaries = ['client secret' => $this->secret, 'wrong client secret' => $this->wrongSecret];
    foreach ($passwords as $i => $password) {
      $canaries['password #' . $i] = $password;
    }

    // 1. Everything PHP received or recorded.
    $this->assertGreaterThan(60, count($this->seen));
    foreach ($this->seen as [$label, $value]) {
      self::assertClean($canaries, $label, $value);
    }

    // 2. The emulator's log: only the token request may hold a secret, only a create a password.
    $checked = 0;
    foreach ($logs as $name => $entries) {
      foreach ($entries as $entry) {
        self::assertClean($canaries, sprintf('%s emulator log #%d %s %s', $name, $entry['seq'] ?? -1, $entry['method'] ?? '', $entry['path'] ?? ''), self::withoutAllowedSecrets($entry));
        $checked++;
      }
      // The user store never holds a password.
    }
    $this->assertGreaterThan(100, $checked);
    self::assertClean($canaries, 'emulator users', $emulator->users());
    self::assertClean($canaries, 'read-only emulator users', $readOnly->users());
  }

  private function throughTheBinding(EmulatorProcess $emulator, EmulatorProcess $readOnly): void {
    $config = $emulator->clientConfig(['client_secret' => $this->secret, 'max_retries' => 1, 'timeout_ms' => 2000]);
    $native = $this->native($config);
    $this->call('connect', fn () => $native->connect());
    $this->call('testConnection', fn () => $native->testConnection('adele@contoso.onmicrosoft.com', ['drupal_to_entra', 'entra_to_drupal']));
    $this->call('mapUser', fn () => $native->mapUser(self::drupalUser(1, 'canary.map', ['fields' => ['field_job' => 'Tester']])));
    $this->call('mappableProperties', fn () => $native->mappableProperties());
    $created = $this->call('provisionUser create', fn () => $native->provisionUser(self::drupalUser(2, 'canary.one')));
    $id = (string) ($created['id'] ?? '');
    $this->assertNotSame('', $id, 'the canary run creates a user');
    $this->call('provisionUser conflict', fn () => $native->provisionUser(self::drupalUser(2, 'canary.one')));
    $this->call('provisionUser conflict adele', fn () => $native->provisionUser(self::drupalUser(3, 'adele', ['mail' => 'adele@contoso.com'])));
    $this->call('linkUser', fn () => $native->linkUser($id, self::drupalUser(2, 'canary.one')));
    $this->call('linkUser missing', fn () => $native->linkUser('00000000-0000-0000-0000-000000000000', self::drupalUser(2, 'canary.one')));
    $this->call('decide', fn () => $native->decide(['decide' => 'deprovision', 'provenance' => 'matched']));
    $this->call('decide bad', fn () => $native->decide(['decide' => $this->secret]));
    $this->call('findUser upn', fn () => $native->findUser(['upn' => 'canary.one@contoso.onmicrosoft.com']));
    $this->call('findUser mail', fn () => $native->findUser(['mail' => 'nobody@example.com']));
    $this->call('findUser bad', fn () => $native->findUser(['upn' => 'a', 'mail' => 'b']));
    $this->call('updateUser', fn () => $native->updateUser($id, self::drupalUser(2, 'canary.one', ['mail' => 'changed@example.com'])));
    $this->call('disableUser', fn () => $native->disableUser($id));
    $this->call('validation', fn () => $native->provisionUser(self::drupalUser(4, '@@ ??')));
    $this->call('validation mapUser', fn () => $native->mapUser(self::drupalUser(4, '@@ ??')));
    $this->call('invalid argument', fn () => $native->mapUser(['uid' => 'x']));
    $this->call('bulk with failures', fn () => $native->bulkProvision(array_merge(
      array_map(static fn (int $i): array => self::drupalUser(100 + $i, 'canary.bulk' . $i), range(0, 24)),
      [self::drupalUser(200, '@@ ??'), self::drupalUser(201, 'canary.bulk0'), self::drupalUser(202, 'adele', ['mail' => 'adele@contoso.com'])]
    )));

    // Persistent faults.
    $faults = [
      '429' => ['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 1],
      '500' => ['method' => 'POST', 'path_contains' => '/users', 'status' => 500],
      '503' => ['path_contains' => '/v1.0/', 'status' => 503],
      'reset' => ['method' => 'POST', 'path_contains' => '/users', 'reset' => TRUE],
      'reset after commit' => ['method' => 'POST', 'path_contains' => '/users', 'reset' => TRUE, 'after_commit' => TRUE],
      'bad request' => ['method' => 'POST', 'path_contains' => '/users', 'status' => 400, 'code' => 'Request_BadRequest', 'message' => 'Invalid value specified for property.'],
    ];
    $n = 300;
    foreach ($faults as $label => $fault) {
      $emulator->addFault($fault);
      $this->call('fault ' . $label . ' provision', fn () => $native->provisionUser(self::drupalUser($n, 'canary.fault' . $n)));
      $n++;
      $this->call('fault ' . $label . ' bulk', fn () => $native->bulkProvision([self::drupalUser($n, 'canary.fault' . $n), self::drupalUser($n + 1, 'canary.fault' . ($n + 1))]));
      $n += 2;
      $this->call('fault ' . $label . ' update', fn () => $native->updateUser($id, self::drupalUser(2, 'canary.one', ['mail' => 'again@example.com'])));
      $emulator->clearFaults();
    }

    // Token endpoint failures. The library's process-wide cache would hand a fresh client the
    // token already fetched: the emulator revokes it, so Graph's 401 sends the client back to
    // the token endpoint.
    foreach (['token 503' => ['path_contains' => '/oauth2/', 'status' => 503], 'token reset' => ['path_contains' => '/oauth2/', 'reset' => TRUE]] as $label => $fault) {
      $emulator->addFault($fault);
      $emulator->configure(['expire_tokens' => TRUE]);
      $fresh = $this->native($config);
      $this->call($label, fn () => $fresh->testConnection('adele@contoso.onmicrosoft.com'));
      $this->call($label . ' bulk', fn () => $fresh->bulkProvision([self::drupalUser(400, 'canary.token')]));
      $emulator->clearFaults();
    }

    // Import (delta query), first page and the following ones.
    $request = [];
    for ($page = 0; $page < 10; $page++) {
      $result = $this->call('importDelta', fn () => $native->importDelta($request));
      if (!is_array($result) || ($result['next_link'] ?? NULL) === NULL) {
        break;
      }
      $request = ['link' => $result['next_link']];
    }
    $this->call('importDelta bad link', fn () => $native->importDelta(['link' => $emulator->url() . '/v1.0/users/delta?$deltatoken=bogus']));

    // Groups (the app holds no group permission here: 403s), and a request of the wrong shape.
    $group = '10000000-0000-4000-8000-000000000001';
    $this->call('groups get', fn () => $native->groups(['op' => 'get', 'ids' => [$group]]));
    $this->call('groups search', fn () => $native->groups(['op' => 'search', 'query' => 'canary']));
    $this->call('groups member_of', fn () => $native->groups(['op' => 'member_of', 'user_ids' => [$id], 'group_ids' => [$group]]));
    $this->call('groups bad', fn () => $native->groups(['op' => $this->secret]));
    $this->call('groupMembership add', fn () => $native->groupMembership('add', $group, $id));
    $this->call('importDelta groups', fn () => $native->importDelta(['groups' => ['ids' => [$group]]]));
    $this->call('decide role_changes', fn () => $native->decide(['decide' => 'role_changes', 'rules' => [['group_id' => $group, 'role' => 'editor']], 'account' => ['uid' => 5, 'roles' => []], 'member_of' => [$group], 'role_facts' => ['editor' => []]]));

    $this->call('deleteUser', fn () => $native->deleteUser($id));
    $this->call('deleteUser missing', fn () => $native->deleteUser('00000000-0000-0000-0000-000000000000'));
    $this->call('disableUser missing', fn () => $native->disableUser('00000000-0000-0000-0000-000000000000'));
    $this->call('updateUser missing', fn () => $native->updateUser('00000000-0000-0000-0000-000000000000', self::drupalUser(2, 'canary.one')));
    $this->call('clientStats', fn () => $native->clientStats());
    $this->call('selfTestPanic', fn () => $native->selfTestPanic());
    $this->call('info', fn () => $native->info());
    $this->seen[] = ['debugInfo', print_r($native, TRUE)];

    // Wrong secret: 401 with AADSTS7000215.
    $wrong = $this->native($emulator->clientConfig(['client_secret' => $this->wrongSecret, 'max_retries' => 0]));
    $this->call('wrong secret testConnection', fn () => $wrong->testConnection('adele@contoso.onmicrosoft.com'));
    $this->call('wrong secret provision', fn () => $wrong->provisionUser(self::drupalUser(500, 'canary.wrong')));
    $this->call('wrong secret bulk', fn () => $wrong->bulkProvision([self::drupalUser(501, 'canary.wrong1')]));
    $this->call('wrong secret import', fn () => $wrong->importDelta());
    $this->call('wrong secret groups', fn () => $wrong->groups(['op' => 'search', 'query' => 'x']));

    // A read-only app: 403 on writes.
    $ro = $this->native($readOnly->clientConfig(['client_secret' => $this->secret, 'max_retries' => 0]));
    $this->call('read-only testConnection', fn () => $ro->testConnection('adele@contoso.onmicrosoft.com', ['drupal_to_entra']));
    $this->call('read-only provision', fn () => $ro->provisionUser(self::drupalUser(600, 'canary.readonly')));
    $this->call('read-only bulk', fn () => $ro->bulkProvision([self::drupalUser(601, 'canary.ro1'), self::drupalUser(602, 'canary.ro2')]));
    $this->call('read-only import', fn () => $ro->importDelta());
    $this->call('read-only group write', fn () => $ro->groupMembership('remove', '10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-0000000000aa'));

    // Configuration errors with the secret in the configuration, and in a field that is echoed.
    $this->call('config error', fn () => EntraNative::create(array_replace($config, ['tenant_id' => '']), $this->libraryPath(), $this->headerPath()));
    $this->call('config bad endpoint', fn () => EntraNative::create(array_replace($config, ['graph_endpoint' => 'ftp://example.com/' . $this->secret]), $this->libraryPath(), $this->headerPath()));
    $this->call('config secret as cloud', fn () => EntraNative::create(array_replace($config, ['cloud' => $this->secret]), $this->libraryPath(), $this->headerPath()));
    $this->call('config wrong type', fn () => EntraNative::create(array_replace($config, ['timeout_ms' => $this->secret]), $this->libraryPath(), $this->headerPath()));
  }

  private function throughTheProvisioner(EmulatorProcess $emulator, EmulatorProcess $readOnly): void {
    $configOverrides = ['provisioning' => ['auto_create' => TRUE]];
    $this->wire($emulator, $configOverrides, [], $this->secret);
    $this->users->add(700, 'canary.p1');
    $this->users->add(701, 'canary.p2');
    $this->users->add(702, '@@ ??', 'bad@example.com');
    $this->users->add(703, 'adele', 'adele@contoso.com');
    foreach ([700, 701, 702, 703] as $uid) {
      $this->provisioner->onUserInsert($uid, (string) $this->users->users[$uid]['name']);
    }
    $this->keep('runner', $this->runner->run(30.0));
    $this->keep('testConnection', $this->provisioner->testConnection());
    $this->keep('preview', $this->provisioner->preview(700));
    $this->keep('provisionNow linked', $this->provisioner->provisionNow(700));
    foreach ($this->matcher->pending() as $match) {
      $this->keep('approve', $this->matcher->approve($match->id));
    }
    foreach (['429' => ['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 2],
      '500' => ['method' => 'POST', 'path_contains' => '/users', 'status' => 500],
      '503' => ['status' => 503],
      'reset' => ['reset' => TRUE]] as $label => $fault) {
      $uid = 710 + count($this->seen);
      $this->users->add($uid, 'canary.pf' . $uid);
      $emulator->addFault($fault);
      $this->keep('provisionNow ' . $label, $this->provisioner->provisionNow($uid));
      $this->keep('process ' . $label, $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, $uid, $this->clock->getCurrentTime())));
      $emulator->clearFaults();
    }
    $this->clock->advance(3600);
    $this->keep('runner after faults', $this->runner->run(30.0));
    $this->harvest('main');

    // Wrong secret through the service (blocked queue).
    $this->wire($emulator, $configOverrides, [], $this->wrongSecret);
    $this->users->add(800, 'canary.denied');
    $this->provisioner->onUserInsert(800, 'canary.denied');
    $this->keep('wrong runner', $this->runner->run(10.0));
    $this->keep('wrong testConnection', $this->provisioner->testConnection());
    $this->keep('wrong provisionNow', $this->provisioner->provisionNow(800));
    $this->keep('wrong preview', $this->provisioner->preview(800));
    $this->harvest('wrong secret');

    // Read-only app through the service.
    $this->wire($readOnly, $configOverrides, [], $this->secret);
    $this->users->add(900, 'canary.forbidden');
    $this->provisioner->onUserInsert(900, 'canary.forbidden');
    $this->keep('read-only runner', $this->runner->run(10.0));
    $this->keep('read-only testConnection', $this->provisioner->testConnection());
    $this->keep('read-only provisionNow', $this->provisioner->provisionNow(900));
    $this->harvest('read-only');
  }

  /**
   * Keeps a Provisioner result (an Outcome, a runner's counters or an array).
   *
   * @param mixed $result
   */
  private function keep(string $label, $result): void {
    $this->seen[] = [$label, $result];
    if ($result instanceof Outcome) {
      $this->covered['outcome:' . $result->status] = ($this->covered['outcome:' . $result->status] ?? 0) + 1;
    }
    elseif (is_array($result) && isset($result['claimed'])) {
      foreach (['done', 'failed', 'retry', 'blocked', 'review'] as $status) {
        if (($result[$status] ?? 0) > 0) {
          $this->covered['outcome:' . $status] = ($this->covered['outcome:' . $status] ?? 0) + $result[$status];
        }
      }
    }
  }

  /**
   * Keeps what the Provisioner recorded (logs, links, State, queue).
   */
  private function harvest(string $label): void {
    $this->assertNotEmpty($this->logger->records);
    foreach ($this->logger->records as $i => $record) {
      $this->seen[] = [sprintf('%s log record #%d (%s)', $label, $i, $record['message']), $record];
    }
    $this->seen[] = [$label . ' link records', array_map(static fn (LinkRecord $l): array => $l->toArray(), $this->links->records)];
    $this->seen[] = [$label . ' pending matches', array_map(static fn (\Drupal\entra_provisioning\Provisioning\PendingMatch $m): array => $m->toRow(), $this->matches->matches)];
    // State holds the secret itself under its own key when no settings.php
    // value or Key module key provides it (that is where the secret is
    // stored, by design); every other State value is scanned.
    $state = $this->state->values;
    $this->assertSame($this->state->get(ClientFactory::STATE_SECRET), $state[ClientFactory::STATE_SECRET] ?? NULL);
    unset($state[ClientFactory::STATE_SECRET]);
    $this->assertNotEmpty($state);
    $this->seen[] = [$label . ' state', $state];
    $this->seen[] = [$label . ' queue', $this->queue->items];
    $this->seen[] = [$label . ' described config', $this->clients->describeConfig()];
  }

  /**
   * Runs an operation; keeps its result or its exception.
   *
   * @return mixed
   */
  private function call(string $label, callable $operation) {
    try {
      $result = $operation();
      $this->seen[] = [$label . ' result', $result];
      foreach (is_array($result) ? ($result['results'] ?? []) : [] as $item) {
        $kind = 'bulk:' . ($item['ok'] ?? FALSE ? (string) ($item['action'] ?? '?') : (string) ($item['error']['kind'] ?? '?'));
        $this->covered[$kind] = ($this->covered[$kind] ?? 0) + 1;
      }

      return $result;
    }
    catch (\Throwable $e) {
      for ($i = 0; $e !== NULL; $e = $e->getPrevious(), $i++) {
        $this->seen[] = [$label . ' exception #' . $i . ' message', get_class($e) . ': ' . $e->getMessage()];
        $this->seen[] = [$label . ' exception #' . $i . ' trace', $e->getTraceAsString()];
        $class = substr((string) strrchr('\\' . get_class($e), '\\'), 1);
        $this->covered[$class] = ($this->covered[$class] ?? 0) + 1;
        if ($e instanceof EntraException) {
          $this->seen[] = [$label . ' exception #' . $i . ' toArray', $e->toArray()];
          $this->seen[] = [$label . ' exception #' . $i . ' details', $e->details()];
        }
      }

      return NULL;
    }
  }

  /**
   * @param array<string, string> $canaries
   * @param mixed $value
   */
  private static function assertClean(array $canaries, string $label, $value): void {
    $text = self::flatten($value);
    foreach ($canaries as $what => $canary) {
      if (str_contains($text, $canary) || str_contains($text, rawurlencode($canary)) || str_contains($text, json_encode($canary) ?: "\0")) {
        self::fail(sprintf('The %s appears in %s: %s', $what, $label, substr($text, 0, 2000)));
      }
    }
    self::assertTrue(TRUE);
  }

  /**
   * Any value as one string (objects through their properties, all levels).
   *
   * @param mixed $value
   */
  private static function flatten($value): string {
    if (is_string($value)) {
      return $value;
    }
    if ($value instanceof Outcome) {
      $value = get_object_vars($value);
    }
    elseif (is_object($value)) {
      $value = (array) $value;
    }
    if (is_array($value)) {
      $parts = [];
      foreach ($value as $key => $item) {
        $parts[] = $key . '=' . self::flatten($item);
      }

      return implode("\n", $parts);
    }

    return var_export($value, TRUE);
  }

  /**
   * @param array<string, mixed> $entry
   */
  private static function isTokenRequest(array $entry): bool {
    return ($entry['method'] ?? '') === 'POST' && str_contains((string) ($entry['path'] ?? ''), '/oauth2/v2.0/token');
  }

  /**
   * Whether a log entry is a create (POST /users, top level or inside a batch).
   *
   * @param array<string, mixed> $entry
   */
  private static function isCreate(array $entry): bool {
    return ($entry['method'] ?? '') === 'POST' && rtrim((string) ($entry['path'] ?? ''), '/') === '/v1.0/users';
  }

  /**
   * The passwords of the create requests in a log entry (a create, or a $batch holding creates).
   *
   * @param array<string, mixed> $entry
   *
   * @return list<string>
   */
  private static function passwordsIn(array $entry): array {
    $passwords = [];
    $body = json_decode((string) ($entry['body'] ?? ''), TRUE);
    if (!is_array($body)) {
      return [];
    }
    if (self::isCreate($entry) && isset($body['passwordProfile']['password']) && is_string($body['passwordProfile']['password'])) {
      $passwords[] = $body['passwordProfile']['password'];
    }
    if (($entry['path'] ?? '') === '/v1.0/$batch') {
      foreach ($body['requests'] ?? [] as $sub) {
        if (($sub['method'] ?? '') === 'POST' && rtrim((string) ($sub['url'] ?? ''), '/') === '/users' && is_string($sub['body']['passwordProfile']['password'] ?? NULL)) {
          $passwords[] = $sub['body']['passwordProfile']['password'];
        }
      }
    }

    return array_values(array_filter($passwords, static fn (string $p): bool => $p !== '[REDACTED]'));
  }

  /**
   * The entry without the one place each secret may be: the token request's
   * client_secret, a create's passwordProfile.password.
   *
   * @param array<string, mixed> $entry
   *
   * @return array<string, mixed>
   */
  private static function withoutAllowedSecrets(array $entry): array {
    $raw = (string) ($entry['body'] ?? '');
    if (self::isTokenRequest($entry)) {
      parse_str($raw, $form);
      unset($form['client_secret']);
      $entry['body'] = $form;

      return $entry;
    }
    $body = json_decode($raw, TRUE);
    if (!is_array($body)) {
      return $entry;
    }
    if (self::isCreate($entry)) {
      unset($body['passwordProfile']['password']);
    }
    if (($entry['path'] ?? '') === '/v1.0/$batch' && isset($body['requests']) && is_array($body['requests'])) {
      foreach ($body['requests'] as $i => $sub) {
        if (($sub['method'] ?? '') === 'POST' && rtrim((string) ($sub['url'] ?? ''), '/') === '/users') {
          unset($body['requests'][$i]['body']['passwordProfile']['password']);
        }
      }
    }
    $entry['body'] = $body;

    return $entry;
  }

}
