<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Hook;

use Drupal\Core\Routing\RouteMatchInterface;
use Drupal\entra_provisioning\Hook\CronHooks;
use Drupal\entra_provisioning\Hook\HelpHooks;
use Drupal\entra_provisioning\Hook\RequirementsHooks;
use Drupal\entra_provisioning\Hook\UserHooks;
use Drupal\user\UserInterface;
use PHPUnit\Framework\TestCase;

/**
 * The #[Hook] methods of src/Hook/ (Drupal 11.1+) and the procedural
 * #[LegacyHook] shims of the .module file (10.3 - 11.0): each shim calls the
 * method that implements the same hook, on the service of that class, with
 * its own arguments. Functions and attributes are read by reflection, the
 * shims are called (\Drupal from tests/src/Support/drupal-stubs.php).
 */
final class LegacyShimsTest extends TestCase {

  private const HOOK = 'Drupal\\Core\\Hook\\Attribute\\Hook';

  private const LEGACY_HOOK = 'Drupal\\Core\\Hook\\Attribute\\LegacyHook';

  private const HOOK_CLASSES = [CronHooks::class, HelpHooks::class, RequirementsHooks::class, UserHooks::class];

  public static function setUpBeforeClass(): void {
    require_once dirname(__DIR__, 4) . '/entra_provisioning.module';
    require_once dirname(__DIR__, 4) . '/entra_provisioning.install';
  }

  protected function tearDown(): void {
    \Drupal::unsetContainer();
  }

  /**
   * Hook name => [class, method] of every #[Hook] method.
   *
   * @return array<string, array{0: class-string, 1: string}>
   */
  private static function hookMethods(): array {
    $hooks = [];
    foreach (self::HOOK_CLASSES as $class) {
      foreach ((new \ReflectionClass($class))->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
        foreach ($method->getAttributes(self::HOOK) as $attribute) {
          $hooks[(string) $attribute->getArguments()[0]] = [$class, $method->getName()];
        }
      }
    }

    return $hooks;
  }

  /**
   * The .module functions marked #[LegacyHook], by hook name.
   *
   * @return array<string, \ReflectionFunction>
   */
  private static function shims(): array {
    $shims = [];
    foreach (get_defined_functions()['user'] as $name) {
      $function = new \ReflectionFunction($name);
      if (str_starts_with($name, 'entra_provisioning_') && $function->getAttributes(self::LEGACY_HOOK) !== []) {
        $shims[substr($name, strlen('entra_provisioning_'))] = $function;
      }
    }

    return $shims;
  }

  public function testEverySrcHookClassIsListedHereAndImplementsAHook(): void {
    $files = glob(dirname(__DIR__, 4) . '/src/Hook/*.php') ?: [];
    $this->assertSame(
      array_map(static fn (string $class): string => substr($class, (int) strrpos($class, '\\') + 1), self::HOOK_CLASSES),
      array_map(static fn (string $file): string => basename($file, '.php'), $files),
      'a new hook class must be added to this test'
    );
    $hooks = self::hookMethods();
    foreach (['user_insert', 'user_update', 'user_cancel', 'user_delete', 'cron', 'help', 'runtime_requirements'] as $hook) {
      $this->assertArrayHasKey($hook, $hooks, "#[Hook('$hook')]");
    }
    foreach (self::HOOK_CLASSES as $class) {
      $this->assertContains($class, array_column($hooks, 0), $class . ' implements no hook');
    }
  }

  public function testEveryHookButRequirementsHasAShimAndNoShimLacksItsHook(): void {
    $hooks = self::hookMethods();
    unset($hooks['runtime_requirements']);
    $this->assertSame(array_keys($hooks), array_values(array_intersect(array_keys($hooks), array_keys(self::shims()))), 'every OOP hook has its shim');
    $this->assertSame([], array_diff(array_keys(self::shims()), array_keys($hooks)), 'no shim without its OOP hook');
  }

  public function testEachShimCallsItsHookMethodOnTheHookService(): void {
    $hooks = self::hookMethods();
    $spies = [];
    foreach (self::HOOK_CLASSES as $class) {
      $spies[$class] = new class {
        /**
         * @var list<array{0: string, 1: list<mixed>}>
         */
        public array $calls = [];

        /**
         * @param list<mixed> $arguments
         */
        public function __call(string $method, array $arguments): mixed {
          $this->calls[] = [$method, $arguments];

          return $method === 'help' ? 'help text' : NULL;
        }
      };
    }
    // The spies stand in for the hook services: checked by id, not class.
    \Drupal::setContainer(new class ($spies) extends \ArrayObject implements \Symfony\Component\DependencyInjection\ContainerInterface {
      public function get(string $id, int $invalidBehavior = self::EXCEPTION_ON_INVALID_REFERENCE): ?object {
        if (!isset($this[$id])) {
          throw new \LogicException('No service ' . $id);
        }

        return $this[$id];
      }

      public function has(string $id): bool {
        return isset($this[$id]);
      }
    });
    $account = new class implements UserInterface {
    };
    $routeMatch = new class implements RouteMatchInterface {
      public function getRouteName() {
        return 'help.page.entra_provisioning';
      }
    };
    $argumentsFor = static function (\ReflectionFunction $shim) use ($account, $routeMatch): array {
      $arguments = [];
      foreach ($shim->getParameters() as $parameter) {
        $type = (string) $parameter->getType();
        $arguments[] = match (TRUE) {
          $type === UserInterface::class => $account,
          $type === RouteMatchInterface::class => $routeMatch,
          default => 'arg-' . $parameter->getName(),
        };
      }

      return $arguments;
    };
    foreach (self::shims() as $hook => $shim) {
      [$class, $method] = $hooks[$hook];
      $arguments = $argumentsFor($shim);
      $return = $shim->invokeArgs($arguments);
      $this->assertSame([[$method, $arguments]], $spies[$class]->calls, "entra_provisioning_$hook() calls $class::$method() with its arguments");
      $spies[$class]->calls = [];
      if ($hook === 'help') {
        $this->assertSame('help text', $return, 'hook_help returns what the method returns');
      }
    }
  }

  public function testTheServicesOfTheHookClassesExist(): void {
    if (!function_exists('yaml_parse_file')) {
      $this->markTestSkipped('php-yaml is not installed.');
    }
    $services = yaml_parse_file(dirname(__DIR__, 4) . '/entra_provisioning.services.yml')['services'];
    foreach (self::HOOK_CLASSES as $class) {
      $this->assertArrayHasKey($class, $services, $class . ' is a service, so the shims can call it');
    }
  }

  public function testInstallFileHooks(): void {
    $requirements = new \ReflectionFunction('entra_provisioning_requirements');
    $this->assertNotSame([], $requirements->getAttributes('Drupal\\Core\\Hook\\Attribute\\LegacyRequirementsHook'), 'Drupal 11.3+ skips the procedural hook_requirements');
    $this->assertSame([], entra_provisioning_requirements('install'), 'nothing to say before the runtime phase');
    $this->assertTrue(function_exists('entra_provisioning_uninstall'));
    $this->assertTrue(function_exists('entra_provisioning_update_10001'), 'the ordering columns are added to existing sites');

    $schema = entra_provisioning_schema();
    foreach (['queued_seq', 'done_seq'] as $column) {
      $field = $schema['entra_provisioning_link']['fields'][$column] ?? NULL;
      $this->assertIsArray($field, "entra_provisioning_link.$column");
      $this->assertSame('int', $field['type']);
      $this->assertTrue($field['not null']);
      $this->assertSame(0, $field['default']);
    }
  }

}
