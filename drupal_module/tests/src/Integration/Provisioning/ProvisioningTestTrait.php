<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\AccountWriter;
use Drupal\entra_provisioning\Provisioning\BulkSync;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EchoGuard;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\GroupRoleApplier;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\ImportChangeApplier;
use Drupal\entra_provisioning\Provisioning\Importer;
use Drupal\entra_provisioning\Provisioning\Lifecycle;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueRunner;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryAccountStore;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeLock;
use Drupal\Tests\entra_provisioning\Support\Fake\FixedRoleFacts;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryUserSource;
use Psr\Log\Test\TestLogger;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;

require_once dirname(__DIR__, 3) . '/bootstrap-psr.php';

/**
 * Wires the Drupal-free services over in-memory fakes and the REAL binding.
 */
trait ProvisioningTestTrait {

  protected InMemoryLinkStore $links;

  protected InMemoryUserSource $users;

  protected InMemoryQueue $queue;

  protected FakeClock $clock;

  protected InMemoryState $state;

  protected FakeLock $lock;

  protected TestLogger $logger;

  protected ArrayConfigSource $configSource;

  protected ClientFactory $clients;

  protected Provisioner $provisioner;

  protected QueueRunner $runner;

  protected EchoGuard $guard;

  protected Lifecycle $lifecycle;

  protected BulkSync $bulk;

  protected InMemoryAccountStore $accounts;

  protected Importer $importer;

  protected InMemoryMatchStore $matches;

  protected InMemoryRemovalStore $removalStore;

  protected IdentityMatcher $matcher;

  protected RemovalGuard $removalGuard;

  protected QueueSuspension $suspension;

  protected InMemoryQuotaWorkerRegistry $quotaWorkers;

  protected FixedRoleFacts $roleFacts;

  /**
   * @param array<string, mixed> $configOverrides
   *   Nested overrides of the module configuration.
   * @param array<string, mixed> $siteOverrides
   *   Overrides of $settings['entra_provisioning'].
   */
  protected function wire(EmulatorProcess $emulator, array $configOverrides = [], array $siteOverrides = [], string $secret = EmulatorProcess::CLIENT_SECRET): void {
    $config = ArrayConfigSource::defaults(array_replace_recursive([
      'connection' => [
        'tenant_id' => EmulatorProcess::TENANT_ID,
        'client_id' => EmulatorProcess::CLIENT_ID,
        'primary_domain' => EmulatorProcess::DOMAIN,
        'test_upn' => 'adele@contoso.onmicrosoft.com',
      ],
      'advanced' => ['timeout_ms' => 3000, 'max_retries' => 0],
    ], $configOverrides));
    $site = $siteOverrides + [
      'library' => $this->libraryPath(),
      'header' => $this->headerPath(),
      'login_endpoint' => $emulator->url(),
      'graph_endpoint' => $emulator->url(),
    ];
    $this->links = new InMemoryLinkStore();
    $this->users = new InMemoryUserSource();
    $this->clock = new FakeClock((float) time());
    $this->queue = new InMemoryQueue($this->clock);
    $this->state = new InMemoryState();
    $this->state->set(ClientFactory::STATE_SECRET, $secret);
    $this->lock = new FakeLock();
    $this->logger = new TestLogger();
    $this->configSource = new ArrayConfigSource($config, $site);
    $this->clients = new ClientFactory($this->configSource, $this->state, new FakeKeyRepository(), new EntraNativeFactory());
    $this->guard = new EchoGuard();
    $this->accounts = new InMemoryAccountStore();
    $this->matches = new InMemoryMatchStore();
    $this->removalStore = new InMemoryRemovalStore();
    $writer = new AccountWriter($this->accounts);
    $this->matcher = new IdentityMatcher($this->clients, $this->links, $this->matches, $this->users, $this->accounts, $writer, $this->guard, $this->clock, $this->logger);
    $this->removalGuard = new RemovalGuard($this->clients, $this->removalStore, $this->clock, $this->logger);
    $this->suspension = new QueueSuspension($this->state, $this->clock, $this->logger);
    $this->quotaWorkers = new InMemoryQuotaWorkerRegistry($this->clock);
    $this->provisioner = new Provisioner($this->clients, $this->links, $this->users, $this->queue, $this->lock, $this->state, $this->clock, new ResultFormatter(), $this->logger, $this->matcher, $this->removalGuard, $this->suspension, new QuotaWorkers($this->quotaWorkers));
    $this->runner = new QueueRunner($this->queue, $this->provisioner, $this->clock, $this->logger);
    $this->lifecycle = new Lifecycle($this->provisioner, $this->links, $this->guard, $this->logger);
    $this->bulk = new BulkSync($this->clients, $this->provisioner, $this->links, $this->users, $this->clock, new ResultFormatter(), $this->logger, $this->matcher, new QuotaWorkers($this->quotaWorkers));
    $this->roleFacts = new FixedRoleFacts();
    $groupRoles = new GroupRoleApplier($this->clients, $this->accounts, $this->roleFacts, $this->logger);
    $applier = new ImportChangeApplier($this->clients, $this->links, $this->accounts, $writer, $this->matcher, $this->removalGuard, $this->clock, $this->logger, $groupRoles, $this->links);
    $this->importer = new Importer($this->clients, $this->state, $this->guard, $this->lock, $this->clock, new ResultFormatter(), $this->logger, $applier, $this->removalGuard);
  }

  /**
   * Changes the module configuration of the wired services.
   *
   * @param array<string, mixed> $overrides
   *   Nested, merged recursively.
   */
  protected function configure(array $overrides): void {
    $this->configSource->config = array_replace_recursive($this->configSource->config, $overrides);
    $this->clients->reset();
  }

  /**
   * The emulator's request log as "METHOD path status" lines, oldest first
   * (token requests left out).
   *
   * @return list<string>
   */
  protected function graphCalls(EmulatorProcess $emulator): array {
    $lines = [];
    foreach ($this->requestLog($emulator) as $entry) {
      if (is_array($entry) && !str_contains((string) ($entry['path'] ?? ''), '/oauth2/')) {
        $lines[] = sprintf('%s %s %d', (string) $entry['method'], (string) $entry['path'], (int) ($entry['status'] ?? 0));
      }
    }

    return $lines;
  }

  /**
   * Every log record as one string (message, level and context).
   */
  protected function logDump(): string {
    return json_encode($this->logger->records, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR) ?: '';
  }

  /**
   * @return list<array<string, mixed>>
   */
  protected function emulatorUsersNamed(EmulatorProcess $emulator, string $upn): array {
    return array_values(array_filter(self::emulatorUsers($emulator), static function (array $u) use ($upn): bool {
      return strcasecmp((string) ($u['userPrincipalName'] ?? ''), $upn) === 0;
    }));
  }

  /**
   * The emulator's request log, whatever the envelope.
   *
   * @return list<mixed>
   */
  protected function requestLog(EmulatorProcess $emulator): array {
    $log = $emulator->requests();
    foreach (['requests', 'value'] as $key) {
      if (isset($log[$key]) && is_array($log[$key])) {
        return array_values($log[$key]);
      }
    }

    return array_values($log);
  }

}
