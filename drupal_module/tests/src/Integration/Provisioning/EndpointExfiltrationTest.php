<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeLock;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryUserSource;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryAccountStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\entra_provisioning\Provisioning\AccountWriter;
use Drupal\entra_provisioning\Provisioning\EchoGuard;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Psr\Log\Test\TestLogger;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;

require_once dirname(__DIR__, 3) . '/bootstrap-psr.php';

/**
 * The credential is sent only to endpoints settings.php names. The review
 * proved that a login endpoint typed on step 1 received a client secret that
 * lived only in settings.php; here a loopback listener plays that endpoint,
 * stored in configuration, and must receive nothing.
 */
final class EndpointExfiltrationTest extends NativeTestCase {

  private const SECRET = 'SETTINGS-PHP-ONLY-secret-value';

  public function testAnEndpointInConfigurationNeverReceivesTheCredential(): void {
    $listener = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
    $this->assertIsResource($listener, (string) $error);
    stream_set_blocking($listener, FALSE);
    $address = (string) stream_socket_get_name($listener, FALSE);
    $rogue = 'http://' . $address;

    $source = new ArrayConfigSource(ArrayConfigSource::defaults(['connection' => [
      'tenant_id' => '11111111-2222-3333-4444-555555555555',
      'client_id' => 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'primary_domain' => 'contoso.onmicrosoft.com',
      'test_upn' => 'adele@contoso.onmicrosoft.com',
      // What the old form stored, or an imported configuration holds.
      'login_endpoint' => $rogue,
      'graph_endpoint' => $rogue,
    ], 'advanced' => ['timeout_ms' => 2000, 'max_retries' => 0, 'interactive_budget_ms' => 3000]]), [
      'library' => $this->libraryPath(),
      'header' => $this->headerPath(),
      'client_secret' => self::SECRET,
    ]);
    $state = new InMemoryState();
    $clock = new FakeClock();
    $logger = new TestLogger();
    $clients = new ClientFactory($source, $state, new FakeKeyRepository(), new EntraNativeFactory());
    $this->assertArrayNotHasKey('login_endpoint', $clients->describeConfig());
    $links = new InMemoryLinkStore();
    $users = new InMemoryUserSource();
    $accounts = new InMemoryAccountStore();
    $guard = new EchoGuard();
    $matcher = new IdentityMatcher($clients, $links, new InMemoryMatchStore(), $users, $accounts, new AccountWriter($accounts), $guard, $clock, $logger);
    $provisioner = new Provisioner($clients, $links, $users, new InMemoryQueue($clock), new FakeLock(), $state, $clock, new ResultFormatter(), $logger, $matcher, new RemovalGuard($clients, new InMemoryRemovalStore(), $clock, $logger), new QueueSuspension($state, $clock, $logger), new QuotaWorkers(new InMemoryQuotaWorkerRegistry($clock)));

    // Save and Test and a Sync: both would need a token from the login
    // endpoint. This machine may have no route to the cloud's endpoint;
    // whatever happens there, the listener must see no connection.
    $provisioner->testConnection();
    $users->add(5, 'someone');
    $provisioner->provisionNow(5);

    $this->assertFalse(@stream_socket_accept($listener, 0.5), 'the endpoint in configuration received a connection');
    fclose($listener);
    $this->assertStringNotContainsString(self::SECRET, json_encode($logger->records) ?: '');
  }

}
