<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Hook;

use Drupal\Core\Url;
use Drupal\entra_provisioning\Hook\RequirementsHooks;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ConnectionFields;
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

require_once dirname(__DIR__, 2) . '/Support/drupal-stubs.php';

/**
 * The status report lines as RequirementsHooks renders them: the text
 * escaped, then the links (Drupal classes replaced by stand-ins,
 * tests/src/Support/drupal-stubs.php).
 */
final class RequirementsHooksTest extends TestCase {

  private static function hooks(): RequirementsHooks {
    $state = new InMemoryState();
    $clients = new ClientFactory(new ArrayConfigSource(ArrayConfigSource::defaults()), $state, new FakeKeyRepository(), new FakeNativeFactory());

    return new RequirementsHooks(new RequirementsEvaluator($clients, new InMemoryQueue(new FakeClock()), new InMemoryLinkStore(), $state, new InMemoryMatchStore(), new RemovalGuard($clients, new InMemoryRemovalStore(), new FakeClock(), new \Psr\Log\NullLogger())));
  }

  /**
   * @param list<array<string, mixed>> $links
   *
   * @return array<string, mixed>
   */
  private static function description(string $text, array $links): array {
    $method = new \ReflectionMethod(RequirementsHooks::class, 'description');

    return $method->invoke(self::hooks(), $text, $links);
  }

  public function testTheTextStaysPlainAndTheLinksFollowIt(): void {
    $build = self::description('Missing: <b>Tenant ID</b>, Client secret.', ConnectionFields::links(['tenant_id', 'client_secret']));
    $this->assertSame(['#plain_text' => 'Missing: <b>Tenant ID</b>, Client secret.'], $build['text']);
    $this->assertCount(2, $build['links']);
    [$first, $second] = $build['links'];
    $this->assertSame('link', $first['#type']);
    $this->assertSame('Tenant ID', $first['#title']);
    $this->assertSame(' ', $first['#prefix']);
    $this->assertSame(', ', $second['#prefix']);
    $this->assertInstanceOf(Url::class, $first['#url']);
    $this->assertSame('entra_provisioning.connection', $first['#url']->routeName);
    $this->assertSame(['fragment' => 'edit-tenant-id'], $first['#url']->options);
    $this->assertSame(['fragment' => 'edit-client-secret'], $second['#url']->options);
  }

  public function testLinksWithoutAFragmentOrText(): void {
    $build = self::description('', [['label' => 'Step 3', 'route' => 'entra_provisioning.provisioning', 'fragment' => NULL], ['label' => 'broken']]);
    $this->assertArrayNotHasKey('text', $build);
    $this->assertCount(1, $build['links'], 'a link without a route is left out');
    $this->assertSame('', $build['links'][0]['#prefix']);
    $this->assertSame([], $build['links'][0]['#url']->options);
    $this->assertSame([], self::description('', []));
  }

  public function testLinesWithoutLinksRenderTheirText(): void {
    $requirements = self::hooks()->runtimeRequirements();
    $this->assertNotEmpty($requirements);
    foreach ($requirements as $key => $requirement) {
      $this->assertStringStartsWith('entra_provisioning_', $key);
      if (isset($requirement['description'])) {
        $this->assertIsString($requirement['description']['text']['#plain_text'] ?? NULL, $key);
      }
    }
  }

}
