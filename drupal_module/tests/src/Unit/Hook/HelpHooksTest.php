<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Hook;

use Drupal\Core\Routing\RouteMatchInterface;
use Drupal\entra_provisioning\Hook\HelpHooks;
use PHPUnit\Framework\TestCase;

require_once dirname(__DIR__, 2) . '/Support/drupal-stubs.php';

/**
 * The help page: what the module does, the three steps, the logs, the
 * overview link; nothing on other pages.
 */
final class HelpHooksTest extends TestCase {

  private static function routeMatch(?string $name): RouteMatchInterface {
    return new class ($name) implements RouteMatchInterface {
      public function __construct(private ?string $name) {
      }

      public function getRouteName() {
        return $this->name;
      }
    };
  }

  public function testTheHelpPage(): void {
    $page = (new HelpHooks())->help('help.page.entra_provisioning', self::routeMatch('help.page'));
    $this->assertIsString($page);
    foreach (['Microsoft Entra ID', 'Step 1: Connection', 'Step 2: Direction', 'Step 3: Provisioning', 'Reports > Recent log messages, type user_provisioning'] as $text) {
      $this->assertStringContainsString($text, $page);
    }
    $this->assertStringContainsString('href="route:entra_provisioning.overview"', $page);
    foreach (['connection', 'direction', 'provisioning'] as $step) {
      $this->assertStringContainsString('href="route:entra_provisioning.' . $step . '"', $page);
    }
  }

  public function testNoHelpElsewhere(): void {
    $hooks = new HelpHooks();
    $this->assertNull($hooks->help('entra_provisioning.overview', self::routeMatch('entra_provisioning.overview')));
    $this->assertNull($hooks->help('help.page.user', self::routeMatch('help.page')));
    // The help block passes getRouteName(), NULL where no route matched.
    $this->assertNull($hooks->help(NULL, self::routeMatch(NULL)));
  }

  public function testTheSignatureIsHookHelps(): void {
    $method = new \ReflectionMethod(HelpHooks::class, 'help');
    $this->assertSame(['route_name', 'route_match'], array_map(static fn (\ReflectionParameter $p): string => $p->getName(), $method->getParameters()));
    $this->assertSame(RouteMatchInterface::class, (string) $method->getParameters()[1]->getType());
    $this->assertSame('help', $method->getAttributes('Drupal\Core\Hook\Attribute\Hook')[0]->getArguments()[0]);
    // The Drupal 10.3 - 11.0 shim has hook_help's signature too (that it
    // calls this method: LegacyShimsTest).
    require_once dirname(__DIR__, 4) . '/entra_provisioning.module';
    $shim = new \ReflectionFunction('entra_provisioning_help');
    $this->assertSame(['route_name', 'route_match'], array_map(static fn (\ReflectionParameter $p): string => $p->getName(), $shim->getParameters()));
    $this->assertSame(RouteMatchInterface::class, (string) $shim->getParameters()[1]->getType());
    $this->assertSame('?string', (string) $shim->getReturnType());
  }

}
