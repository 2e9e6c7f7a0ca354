<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Plugin;

use Drupal\Core\Queue\SuspendQueueException;
use Drupal\entra_provisioning\Plugin\QueueWorker\ProvisionUserWorker;
use Drupal\entra_provisioning\Provisioning\AccountWriter;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EchoGuard;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\ProvisioningQueueInterface;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\entra_provisioning\Provisioning\QueueRunner;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeLock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryAccountStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryUserSource;
use Drupal\Tests\entra_provisioning\Support\ModuleContainer;
use PHPUnit\Framework\TestCase;
use Psr\Log\Test\TestLogger;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;

require_once dirname(__DIR__, 3) . '/bootstrap-psr.php';

/**
 * The queue worker plugin as core's queue runner meets it (core's plugin
 * classes from tests/src/Support/drupal-stubs.php, services by their
 * services.yml ids).
 */
final class ProvisionUserWorkerTest extends TestCase {

  private FakeNativeFactory $natives;

  private TestLogger $logger;

  private ModuleContainer $container;

  private QueueSuspension $suspension;

  private InMemoryQueue $queue;

  protected function setUp(): void {
    if (!function_exists('yaml_parse_file')) {
      $this->markTestSkipped('php-yaml is not installed (apt-get install php8.2-yaml).');
    }
    $clock = new FakeClock(1700000000.0);
    $state = new InMemoryState();
    $links = new InMemoryLinkStore();
    $users = new InMemoryUserSource();
    $accounts = new InMemoryAccountStore();
    $this->logger = new TestLogger();
    $this->natives = new FakeNativeFactory();
    $clients = new ClientFactory(new ArrayConfigSource(ArrayConfigSource::defaults()), $state, new FakeKeyRepository(), $this->natives);
    $guard = new EchoGuard();
    $matcher = new IdentityMatcher($clients, $links, new InMemoryMatchStore(), $users, $accounts, new AccountWriter($accounts), $guard, $clock, $this->logger);
    $this->suspension = new QueueSuspension($state, $clock, $this->logger);
    $this->queue = new InMemoryQueue($clock);
    $provisioner = new Provisioner($clients, $links, $users, $this->queue, new FakeLock(), $state, $clock, new ResultFormatter(), $this->logger, $matcher, new RemovalGuard($clients, new InMemoryRemovalStore(), $clock, $this->logger), $this->suspension, new QuotaWorkers(new InMemoryQuotaWorkerRegistry($clock)));
    $this->container = new ModuleContainer([
      'entra_provisioning.queue_runner' => new QueueRunner($this->queue, $provisioner, $clock, $this->logger),
      'entra_provisioning.client_factory' => $clients,
      'logger.channel.user_provisioning' => $this->logger,
    ]);
  }

  private function worker(): ProvisionUserWorker {
    return ProvisionUserWorker::create($this->container, [], ProvisioningQueueInterface::NAME, []);
  }

  public function testThePluginWorksTheModulesQueueOnCron(): void {
    $attributes = (new \ReflectionClass(ProvisionUserWorker::class))->getAttributes('Drupal\\Core\\Queue\\Attribute\\QueueWorker');
    $this->assertCount(1, $attributes);
    $arguments = $attributes[0]->getArguments();
    $this->assertSame(ProvisioningQueueInterface::NAME, $arguments['id'], 'the plugin id is the queue name the module fills');
    $this->assertGreaterThan(0, $arguments['cron']['time'] ?? 0, 'core runs it on cron');
    $this->assertSame(ProvisioningQueueInterface::NAME, $this->worker()->getPluginId());
  }

  public function testWithoutFfiTheQueueIsSuspendedWithTheReason(): void {
    $this->natives->environment = ['mode' => 'none', 'reason' => 'ffi.enable=preload restricts FFI under the "fpm-fcgi" SAPI'] + $this->natives->environment;
    $item = (new QueueItem(QueueItem::OP_PROVISION, 7, 1700000000))->toArray();
    try {
      $this->worker()->processItem($item);
      $this->fail('expected SuspendQueueException');
    }
    catch (SuspendQueueException $e) {
      $this->assertStringContainsString('fpm-fcgi', $e->getMessage());
      $this->assertNull($e->getDelay(), 'no delay: core cron would sleep in-process for it');
    }
  }

  public function testASuspendedProvisioningSuspendsTheQueue(): void {
    $this->suspension->suspend(['kind' => 'auth', 'scope' => 'connection', 'message' => 'AADSTS7000215'], 'The client secret was rejected.', 7);
    $item = (new QueueItem(QueueItem::OP_PROVISION, 8, 1700000000))->toArray();
    try {
      $this->worker()->processItem($item);
      $this->fail('expected SuspendQueueException');
    }
    catch (SuspendQueueException $e) {
      $this->assertStringContainsString('The client secret was rejected.', $e->getMessage());
      $this->assertNull($e->getDelay());
    }
  }

  public function testAMalformedItemIsLoggedAndDropped(): void {
    $this->worker()->processItem(['op' => 'explode', 'uid' => 7]);
    $this->assertTrue($this->logger->hasErrorThatContains('Dropped a malformed item of the entra_provisioning_user queue'));
  }

}
