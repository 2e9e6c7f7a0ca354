<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Status;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\HeldRemoval;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\PendingMatch;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use PHPUnit\Framework\TestCase;

/**
 * The status report lines, and that each failing one says how to fix it.
 */
final class RequirementsEvaluatorTest extends TestCase {

  private FakeNativeFactory $natives;

  private InMemoryState $state;

  private InMemoryQueue $queue;

  private InMemoryLinkStore $links;

  private ArrayConfigSource $source;

  private InMemoryMatchStore $matchStore;

  private InMemoryRemovalStore $removalStore;

  protected function setUp(): void {
    $this->matchStore = new InMemoryMatchStore();
    $this->removalStore = new InMemoryRemovalStore();
    $this->natives = new FakeNativeFactory();
    $this->state = new InMemoryState();
    $this->state->set(ClientFactory::STATE_SECRET, 'secret');
    $this->queue = new InMemoryQueue(new FakeClock());
    $this->links = new InMemoryLinkStore();
    $this->source = new ArrayConfigSource(ArrayConfigSource::defaults(['connection' => [
      'tenant_id' => '11111111-2222-3333-4444-555555555555',
      'client_id' => 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'primary_domain' => 'contoso.onmicrosoft.com',
    ]]), [], '/srv/mod');
  }

  /**
   * @return array<string, array<string, string>>
   */
  private function lines(?FakeKeyRepository $keys = NULL): array {
    $clients = new ClientFactory($this->source, $this->state, $keys ?? new FakeKeyRepository(), $this->natives);
    $lines = (new RequirementsEvaluator($clients, $this->queue, $this->links, $this->state, $this->matchStore, new RemovalGuard($clients, $this->removalStore, new FakeClock(), new \Psr\Log\NullLogger())))->evaluate();
    $byId = [];
    foreach ($lines as $line) {
      $this->assertArrayNotHasKey($line['id'], $byId);
      if (in_array($line['severity'], ['warning', 'error'], TRUE)) {
        $this->assertNotSame('', $line['description'], $line['id'] . ' fails without saying how to fix it');
      }
      $byId[$line['id']] = $line;
    }

    return $byId;
  }

  public function testAHealthySite(): void {
    $this->state->set(Provisioner::STATE_LAST_TEST, ['ok' => TRUE, 'time' => 1700000000, 'upn' => 'adele@contoso.onmicrosoft.com', 'request_id' => 'r-1']);
    $lines = $this->lines();
    foreach (['ffi_extension', 'ffi_mode', 'library', 'abi', 'configuration', 'last_test', 'queue', 'accounts'] as $id) {
      $this->assertSame('ok', $lines[$id]['severity'], $id . ': ' . $lines[$id]['description']);
    }
    // A secret in State works, and is also copied into cache_bootstrap.
    $this->assertSame('warning', $lines['secret']['severity']);
    $this->assertStringContainsString('State', $lines['secret']['value']);
    $this->assertStringContainsString('cache_bootstrap', $lines['secret']['description']);
    $this->assertArrayNotHasKey('endpoints', $lines, 'no override: the cloud defaults');
    $this->assertSame('version 0.1.0', $lines['library']['value']);
    $this->assertStringContainsString('cdef (SAPI cli, ffi.enable=preload)', $lines['ffi_mode']['value']);
    $this->assertStringContainsString('r-1', $lines['last_test']['description']);
  }

  public function testFfiEnabledForTheWebIsAFallbackAndOverridesAreShown(): void {
    $this->natives->environment = ['mode' => 'cdef', 'ffi_loaded' => TRUE, 'ffi_enable' => '1', 'sapi' => 'fpm-fcgi', 'reason' => 'ffi.enable=1 allows FFI::cdef.', 'library_exists' => TRUE, 'header_exists' => TRUE];
    $this->source->site = ['login_endpoint' => 'http://127.0.0.1:8080', 'client_secret' => 'from-settings-php-value'];
    $lines = $this->lines();
    $this->assertSame('warning', $lines['ffi_mode']['severity']);
    $this->assertStringContainsString('bypasses disable_functions', $lines['ffi_mode']['description']);
    $this->assertStringContainsString('preload', $lines['ffi_mode']['description']);
    $this->assertSame('login_endpoint = http://127.0.0.1:8080', $lines['endpoints']['value']);
    $this->assertSame('info', $lines['secret']['severity'], 'settings.php is the recommended place');
  }

  public function testFfiMissing(): void {
    $this->natives->environment = ['mode' => 'none', 'ffi_loaded' => FALSE, 'ffi_enable' => NULL, 'sapi' => 'fpm-fcgi', 'reason' => 'The PHP FFI extension is not loaded.', 'library_exists' => TRUE, 'header_exists' => TRUE];
    $lines = $this->lines();
    $this->assertSame('error', $lines['ffi_extension']['severity']);
    $this->assertStringContainsString('extension=ffi', $lines['ffi_extension']['description']);
    $this->assertSame('error', $lines['ffi_mode']['severity']);
    $this->assertSame('warning', $lines['library']['severity']);
  }

  public function testFfiRestrictedForTheWebSapi(): void {
    $reason = 'ffi.enable=preload restricts FFI under the "fpm-fcgi" SAPI to preloaded code: set ffi.enable=1 for this SAPI, or use the preload setup (ffi.preload=<preload header> + opcache.preload=drupal_module/preload.php): see README.';
    $this->natives->environment = ['mode' => 'none', 'ffi_loaded' => TRUE, 'ffi_enable' => 'preload', 'sapi' => 'fpm-fcgi', 'reason' => $reason, 'library_exists' => TRUE, 'header_exists' => TRUE];
    $lines = $this->lines();
    $this->assertSame('ok', $lines['ffi_extension']['severity']);
    $this->assertSame('error', $lines['ffi_mode']['severity']);
    $this->assertStringContainsString('none (SAPI fpm-fcgi, ffi.enable=preload)', $lines['ffi_mode']['value']);
    $this->assertStringContainsString('set ffi.enable=1', $lines['ffi_mode']['description']);
    $this->assertStringContainsString('opcache.preload', $lines['ffi_mode']['description']);
  }

  public function testLibraryMissingOrUnloadable(): void {
    $this->natives->environment['library_exists'] = FALSE;
    $lines = $this->lines();
    $this->assertSame('error', $lines['library']['severity']);
    $this->assertStringContainsString('/srv/mod/lib/libentra_provisioning.so', $lines['library']['description']);
    $this->assertStringContainsString('make module', $lines['library']['description']);

    $this->natives->environment['library_exists'] = TRUE;
    $this->natives->probe = ['ok' => FALSE, 'version' => NULL, 'abi_version' => NULL, 'expected_abi' => 1, 'mode' => NULL, 'error' => 'ABI mismatch: lib implements ABI version 2, this PHP binding expects 1.'];
    $lines = $this->lines();
    $this->assertSame('error', $lines['library']['severity']);
    $this->assertStringContainsString('ABI mismatch', $lines['library']['description']);
    $this->assertSame('warning', $lines['abi']['severity']);
  }

  public function testTheLibraryLineSaysWhichFileAndArchitecture(): void {
    $this->natives->environment['library_machine'] = 'x86_64';
    $this->natives->environment['machine'] = 'x86_64';
    $lines = $this->lines();
    $this->assertSame('version 0.1.0, x86_64', $lines['library']['value']);
    $this->assertStringContainsString('Loaded from /srv/mod/lib/libentra_provisioning.so (built for x86_64; this machine: x86_64)', $lines['library']['description']);
  }

  public function testThePreloadedLibraryIsNamed(): void {
    $this->natives->environment = ['mode' => 'preload', 'ffi_loaded' => TRUE, 'ffi_enable' => 'preload', 'sapi' => 'fpm-fcgi', 'reason' => 'FFI scope ENTRA_PROVISIONING was preloaded by ffi.preload.', 'library_exists' => NULL, 'header_exists' => NULL, 'preload_library' => '/srv/mod/lib/linux-aarch64/libentra_provisioning.so', 'library_machine' => 'aarch64', 'machine' => 'aarch64'];
    $lines = $this->lines();
    $this->assertSame('ok', $lines['library']['severity']);
    $this->assertSame('version 0.1.0, aarch64', $lines['library']['value']);
    $this->assertStringContainsString('ffi.preload scope from /srv/mod/lib/linux-aarch64/libentra_provisioning.so (built for aarch64; this machine: aarch64)', $lines['library']['description']);
  }

  public function testAMissingLibraryShowsTheLoadersAdvice(): void {
    $this->natives->environment['library_exists'] = FALSE;
    $this->natives->environment['library_problem'] = 'No library at /srv/mod/lib/linux-aarch64/libentra_provisioning.so: this copy of the module holds lib/linux-x86_64/ only.';
    $lines = $this->lines();
    $this->assertSame('error', $lines['library']['severity']);
    $this->assertSame($this->natives->environment['library_problem'], $lines['library']['description']);
    $this->assertArrayNotHasKey('release', $lines, 'no library version to compare');
  }

  public function testModuleAndLibraryOfOneRelease(): void {
    $line = RequirementsEvaluator::releaseLine('0.1.0', '0.1.0');
    $this->assertSame(['release', 'ok', '0.1.0'], [$line['id'], $line['severity'], $line['value']]);

    $line = RequirementsEvaluator::releaseLine('0.2.0', '0.1.0');
    $this->assertSame('error', $line['severity']);
    $this->assertSame('module 0.2.0, library 0.1.0', $line['value']);
    $this->assertStringContainsString('entra_provisioning-0.2.0.tar.gz', $line['description']);

    $line = RequirementsEvaluator::releaseLine(NULL, '0.1.0');
    $this->assertSame('info', $line['severity'], 'a source checkout has no version to compare');
    $this->assertSame('source checkout (library 0.1.0)', $line['value']);
  }

  public function testTheReleaseLineReadsTheModulesInfoFile(): void {
    $module = sys_get_temp_dir() . '/entra-release-' . getmypid() . '-' . bin2hex(random_bytes(4));
    mkdir($module);
    file_put_contents($module . '/entra_provisioning.info.yml', "name: 'Entra ID provisioning'\ntype: module\n\nversion: '0.3.0'\nproject: 'entra_provisioning'\n");
    try {
      $this->source = new ArrayConfigSource(ArrayConfigSource::defaults(), [], $module);
      $lines = $this->lines();
    }
    finally {
      unlink($module . '/entra_provisioning.info.yml');
      rmdir($module);
    }
    $this->assertSame('error', $lines['release']['severity'], 'the fake library says 0.1.0');
    $this->assertSame('module 0.3.0, library 0.1.0', $lines['release']['value']);

    // The default fixture's module folder has no info file: a source checkout.
    $this->source = new ArrayConfigSource(ArrayConfigSource::defaults(), [], '/srv/mod');
    $this->assertSame('info', $this->lines()['release']['severity']);
  }

  public function testAbiMismatchReportedByTheProbe(): void {
    $this->natives->probe['abi_version'] = 2;
    $lines = $this->lines();
    $this->assertSame('error', $lines['abi']['severity']);
    $this->assertSame('2 (module expects 1)', $lines['abi']['value']);
  }

  public function testIncompleteAndInvalidConfiguration(): void {
    $this->state->delete(ClientFactory::STATE_SECRET);
    $lines = $this->lines();
    $this->assertSame('warning', $lines['configuration']['severity']);
    $this->assertStringContainsString('Missing: Client secret.', $lines['configuration']['description'], 'the field label, not its machine name');
    $this->assertSame([['label' => 'Client secret', 'route' => 'entra_provisioning.connection', 'fragment' => 'edit-client-secret']], $lines['configuration']['links']);
    $this->assertSame('warning', $lines['secret']['severity']);

    $this->state->set(ClientFactory::STATE_SECRET, 'secret');
    $this->natives->validationError = EntraException::fromStatus(Status::CONFIG, ['message' => 'graph_endpoint must use https', 'field' => 'graph_endpoint'], 'entra_client_new');
    $lines = $this->lines();
    $this->assertSame('error', $lines['configuration']['severity']);
    $this->assertStringContainsString('(graph_endpoint)', $lines['configuration']['description']);
    $this->assertArrayNotHasKey('client_secret', end($this->natives->configs) === FALSE ? [] : array_diff_key(['client_secret' => 1], end($this->natives->configs)));
  }

  public function testSecretSources(): void {
    $this->source->config['connection']['secret_key_id'] = 'entra';
    $lines = $this->lines(new FakeKeyRepository(FALSE));
    $this->assertSame('error', $lines['secret']['severity']);
    $this->assertStringContainsString('Key module is not installed', $lines['secret']['description']);

    $lines = $this->lines(new FakeKeyRepository(TRUE, ['entra' => 'k']));
    $this->assertSame('info', $lines['secret']['severity']);
    $this->assertSame('Key module, key "entra"', $lines['secret']['value']);

    $this->source->site['client_secret'] = 'from-settings';
    $lines = $this->lines(new FakeKeyRepository(TRUE, ['entra' => 'k']));
    $this->assertStringContainsString('settings.php', $lines['secret']['value']);
    $this->assertStringNotContainsString('from-settings', json_encode($lines) ?: '');
  }

  public function testLastTestQueueAndFailures(): void {
    $lines = $this->lines();
    $this->assertSame('warning', $lines['last_test']['severity']);
    $this->assertStringContainsString('Save and Test Configuration', $lines['last_test']['description']);

    $this->state->set(Provisioner::STATE_LAST_TEST, ['ok' => FALSE, 'time' => 1700000000, 'upn' => 'x', 'error' => [
      'kind' => 'auth', 'title' => 'Authentication failed', 'message' => 'Invalid client secret provided.', 'code' => 'AADSTS7000215',
      'http_status' => 401, 'request_id' => 'r-9', 'fix' => 'Create a new secret.',
    ]]);
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 5, 1));
    $this->links->save(new LinkRecord(5, NULL, NULL, 'provision', LinkRecord::RESULT_FAILED, 'validation', 'bad', NULL, 1, 1));
    $lines = $this->lines();
    $this->assertSame('error', $lines['last_test']['severity']);
    $this->assertStringContainsString('AADSTS7000215', $lines['last_test']['description']);
    $this->assertStringContainsString('request-id r-9', $lines['last_test']['description']);
    $this->assertSame('info', $lines['queue']['severity']);
    $this->assertSame('1 item(s) waiting', $lines['queue']['value']);
    $this->assertStringContainsString('drush queue:run entra_provisioning_user', $lines['queue']['description']);
    $this->assertSame('warning', $lines['accounts']['severity']);
    $this->assertSame('0 linked, 0 pending, 1 failed, 0 waiting for a match review', $lines['accounts']['value']);

    for ($i = 0; $i < RequirementsEvaluator::BACKLOG_WARNING; $i++) {
      $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 6 + $i, 1));
    }
    $this->assertSame('warning', $this->lines()['queue']['severity']);
  }

  public function testASuspendedQueueSaysSinceWhenWhyAndWhatToFixWithALinkToStep1(): void {
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 5, 1));
    $this->state->set(QueueSuspension::STATE_KEY, ['since' => 1700000000, 'retry_at' => 1700000300, 'summary' => 'Authentication failed: AADSTS7000215 Invalid client secret provided.', 'fix' => 'Enter the secret\'s Value.', 'kind' => 'auth', 'uid' => 5]);
    $lines = $this->lines();
    $this->assertSame('error', $lines['queue']['severity']);
    $this->assertSame('suspended since 2023-11-14 22:13 UTC, 1 item(s) waiting', $lines['queue']['value']);
    $this->assertStringContainsString('AADSTS7000215', $lines['queue']['description']);
    $this->assertStringContainsString("Fix: Enter the secret's Value.", $lines['queue']['description']);
    $this->assertStringContainsString('Save and Test Configuration', $lines['queue']['description']);
    $this->assertSame([RequirementsEvaluator::STEP1], $lines['queue']['links']);
  }

  public function testPendingMatchesAndHeldRemovalsLinkToTheReviewPage(): void {
    $this->assertArrayNotHasKey('matches', $this->lines());
    $this->matchStore->propose(PendingMatch::propose(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, 7, 'e1', ['userPrincipalName' => 'adele@contoso.com'], [], [], PendingMatch::STATUS_PENDING, 1));
    $this->removalStore->add(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, 8, 'e2', 'deleted', HeldRemoval::HELD, 1);
    $lines = $this->lines();
    $this->assertSame('1 waiting', $lines['matches']['value']);
    $this->assertSame('warning', $lines['matches']['severity']);
    $this->assertSame([RequirementsEvaluator::MATCHES], $lines['matches']['links']);
    $this->assertSame('1 held', $lines['held_removals']['value']);
    $this->assertSame('error', $lines['held_removals']['severity']);
  }

  public function testMissingGroupPermissionsNameTheFeature(): void {
    $test = ['ok' => TRUE, 'time' => 1700000000, 'upn' => 'adele@contoso.onmicrosoft.com', 'request_id' => 'r-1', 'directions' => ['drupal_to_entra'], 'features' => ['write_group_memberships']];
    $this->state->set(Provisioner::STATE_LAST_TEST, $test + ['granted_permissions' => ['User.ReadWrite.All', 'GroupMember.Read.All'], 'missing_permissions' => ['GroupMember.ReadWrite.All']]);
    $lines = $this->lines();
    $this->assertSame('error', $lines['permissions']['severity']);
    $this->assertSame('missing GroupMember.ReadWrite.All', $lines['permissions']['value']);
    $this->assertStringContainsString('the group features (write_group_memberships)', $lines['permissions']['description']);
  }

  public function testMissingPermissionsForTheChosenDirections(): void {
    $test = ['ok' => TRUE, 'time' => 1700000000, 'upn' => 'adele@contoso.onmicrosoft.com', 'request_id' => 'r-1', 'directions' => ['drupal_to_entra', 'entra_to_drupal']];
    $this->state->set(Provisioner::STATE_LAST_TEST, $test + ['granted_permissions' => ['User.Read.All'], 'missing_permissions' => ['User.ReadWrite.All']]);
    $lines = $this->lines();
    $this->assertSame('error', $lines['permissions']['severity']);
    $this->assertSame('missing User.ReadWrite.All', $lines['permissions']['value']);
    $this->assertStringContainsString('drupal_to_entra, entra_to_drupal', $lines['permissions']['description']);
    $this->assertStringContainsString('admin consent', $lines['permissions']['description']);
    $this->assertStringContainsString('Granted now: User.Read.All', $lines['permissions']['description']);
    $this->assertSame(1, \Drupal\entra_provisioning\Provisioning\CommandSupport::statusExitCode(array_values($lines)));

    $this->state->set(Provisioner::STATE_LAST_TEST, $test + ['granted_permissions' => ['User.ReadWrite.All'], 'missing_permissions' => []]);
    $lines = $this->lines();
    $this->assertSame('ok', $lines['permissions']['severity']);
    $this->assertSame('User.ReadWrite.All', $lines['permissions']['value']);

    $this->state->set(Provisioner::STATE_LAST_TEST, $test + ['granted_permissions' => NULL, 'missing_permissions' => NULL]);
    $this->assertSame('info', $this->lines()['permissions']['severity']);

    // No successful test: no permissions line (the test line says why).
    $this->state->delete(Provisioner::STATE_LAST_TEST);
    $this->assertArrayNotHasKey('permissions', $this->lines());
  }

  public function testTheImportLine(): void {
    $this->assertArrayNotHasKey('import', $this->lines(), 'no line while the import is off');
    $this->source->config['direction']['entra_to_drupal'] = TRUE;
    $lines = $this->lines();
    $this->assertSame('warning', $lines['import']['severity']);
    $this->assertSame('never run', $lines['import']['value']);
    $this->assertStringContainsString('every 3600 s', $lines['import']['description']);

    $report = new \Drupal\entra_provisioning\Provisioning\ImportReport(FALSE, FALSE);
    $report->completed = TRUE;
    $report->add('created', 'id-1', 'a@contoso.onmicrosoft.com', 5, 'Created.');
    $this->state->set(\Drupal\entra_provisioning\Provisioning\Importer::STATE_LAST_RUN, $report->toState(1700000000));
    $this->state->set(\Drupal\entra_provisioning\Provisioning\Importer::STATE_LAST_DELTA_SYNC, 1700000000);
    $lines = $this->lines();
    $this->assertSame('ok', $lines['import']['severity']);
    $this->assertSame('last complete round 2023-11-14 22:13 UTC', $lines['import']['value']);

    $report->add('conflict', 'id-2', 'b@contoso.onmicrosoft.com', 6, 'Same name.');
    $this->state->set(\Drupal\entra_provisioning\Provisioning\Importer::STATE_LAST_RUN, $report->toState(1700000100));
    $lines = $this->lines();
    $this->assertSame('warning', $lines['import']['severity']);
    $this->assertStringContainsString('1 conflict(s)', $lines['import']['description']);

    $report->error = ['kind' => 'permission', 'title' => 'Permission missing', 'message' => 'Insufficient privileges.', 'code' => 'Authorization_RequestDenied', 'http_status' => 403, 'request_id' => 'r-3', 'fix' => 'Add User.Read.All.'];
    $this->state->set(\Drupal\entra_provisioning\Provisioning\Importer::STATE_LAST_RUN, $report->toState(1700000200));
    $lines = $this->lines();
    $this->assertSame('error', $lines['import']['severity']);
    $this->assertStringContainsString('Authorization_RequestDenied', $lines['import']['description']);
    $this->assertStringContainsString('Add User.Read.All', $lines['import']['description']);
  }

}
