<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit;

use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../Support/drush-stubs.php';

/**
 * The module files parse, and every class they name loads from where PSR-4
 * puts it (core's classes from tests/src/Support/drupal-stubs.php).
 */
final class ModuleStructureTest extends TestCase {

  private const NS = 'Drupal\\entra_provisioning\\';

  private static function root(): string {
    return dirname(__DIR__, 3);
  }

  /**
   * @return array<string, mixed>
   */
  private static function yaml(string $file): array {
    $path = self::root() . '/' . $file;
    self::assertFileExists($path);
    $data = yaml_parse_file($path);
    self::assertIsArray($data, $file . ' is not a YAML mapping');

    return $data;
  }

  /**
   * The file a module class lives in under PSR-4.
   */
  private static function classFile(string $class): string {
    $class = ltrim($class, '\\');
    self::assertStringStartsWith(self::NS, $class, $class . ' is not a class of this module');

    return self::root() . '/src/' . str_replace('\\', '/', substr($class, strlen(self::NS))) . '.php';
  }

  /**
   * The class loads (its parents and interfaces too) from its PSR-4 file.
   */
  private static function assertClassFile(string $class, string $where): void {
    $class = ltrim($class, '\\');
    $file = self::classFile($class);
    self::assertFileExists($file, $class . ' named in ' . $where);
    self::assertTrue(class_exists($class) || interface_exists($class), $class . ' named in ' . $where . ' loads');
    self::assertSame(realpath($file), (new \ReflectionClass($class))->getFileName(), $class . ' is declared in ' . $file);
  }

  public function setUp(): void {
    if (!function_exists('yaml_parse_file')) {
      $this->markTestSkipped('php-yaml is not installed (apt-get install php8.2-yaml).');
    }
  }

  public function testEveryYamlFileParses(): void {
    $files = array_merge(glob(self::root() . '/*.yml') ?: [], glob(self::root() . '/config/*/*.yml') ?: []);
    $this->assertGreaterThanOrEqual(8, count($files));
    foreach ($files as $file) {
      $this->assertIsArray(yaml_parse_file($file), $file);
    }
  }

  public function testInfoFile(): void {
    $info = self::yaml('entra_provisioning.info.yml');
    $this->assertSame('module', $info['type']);
    $this->assertSame('^10.3 || ^11', $info['core_version_requirement']);
    $this->assertArrayHasKey($info['configure'], self::yaml('entra_provisioning.routing.yml'));
  }

  public function testServiceClassesAndReferencesExist(): void {
    $services = self::yaml('entra_provisioning.services.yml')['services'];
    $ids = array_keys($services);
    $this->assertSame(['user_provisioning'], $services['logger.channel.user_provisioning']['arguments']);
    $this->assertSame('logger.channel_base', $services['logger.channel.user_provisioning']['parent']);
    foreach ($services as $id => $definition) {
      if (is_string($definition)) {
        // Alias: '@target'; an interface/class id must exist as well.
        $this->assertContains(substr($definition, 1), $ids, "alias $id");
        self::assertClassFile($id, "services.yml alias $id");
        continue;
      }
      if (isset($definition['class']) && str_starts_with(ltrim($definition['class'], '\\'), self::NS)) {
        self::assertClassFile($definition['class'], "service $id");
      }
      foreach ($definition['arguments'] ?? [] as $argument) {
        if (is_string($argument) && str_starts_with($argument, '@entra_provisioning.')) {
          $this->assertContains(substr($argument, 1), $ids, "argument of $id");
        }
      }
    }
    $tags = array_column($services['entra_provisioning.post_response_processor']['tags'], 'name');
    $this->assertContains('needs_destruction', $tags);
  }

  public function testRoutesNameExistingFormsAndControllers(): void {
    $permissions = self::yaml('entra_provisioning.permissions.yml');
    $this->assertTrue($permissions['administer entra provisioning']['restrict access']);
    foreach (self::yaml('entra_provisioning.routing.yml') as $name => $route) {
      $this->assertSame('administer entra provisioning', $route['requirements']['_permission'] ?? NULL, "route $name");
      $this->assertStringStartsWith('/admin/config/people/entra-provisioning', $route['path']);
      if (isset($route['defaults']['_form'])) {
        self::assertClassFile($route['defaults']['_form'], "route $name");
      }
      if (isset($route['defaults']['_controller'])) {
        [$class, $method] = explode('::', $route['defaults']['_controller']);
        self::assertClassFile($class, "route $name");
        $this->assertTrue(method_exists(ltrim($class, '\\'), $method) && (new \ReflectionMethod(ltrim($class, '\\'), $method))->isPublic(), "route $name: $class::$method() is public");
      }
    }
    $routes = array_keys(self::yaml('entra_provisioning.routing.yml'));
    foreach (self::yaml('entra_provisioning.links.task.yml') as $task) {
      $this->assertContains($task['route_name'], $routes);
      $this->assertContains($task['base_route'], $routes);
    }
    $menu = self::yaml('entra_provisioning.links.menu.yml')['entra_provisioning.overview'];
    $this->assertSame('user.admin_index', $menu['parent']);
    $this->assertContains($menu['route_name'], $routes);
  }

  public function testConfigDefaultsMatchTheSchema(): void {
    $defaults = self::yaml('config/install/entra_provisioning.settings.yml');
    $schema = self::yaml('config/schema/entra_provisioning.schema.yml')['entra_provisioning.settings'];
    $this->assertSame('config_object', $schema['type']);
    foreach ($defaults as $group => $values) {
      $this->assertArrayHasKey($group, $schema['mapping']);
      foreach ($values as $key => $value) {
        $definition = $schema['mapping'][$group]['mapping'][$key] ?? NULL;
        $this->assertIsArray($definition, "schema for $group.$key");
        $pattern = $definition['constraints']['Regex']['pattern'] ?? NULL;
        if ($pattern !== NULL) {
          $this->assertSame(1, preg_match($pattern, (string) $value), "default of $group.$key matches its Regex");
        }
        $choices = $definition['constraints']['Choice']['choices'] ?? NULL;
        if ($choices !== NULL) {
          $this->assertContains($value, $choices, "default of $group.$key");
        }
      }
    }
    $this->assertArrayNotHasKey('client_secret', $schema['mapping']['connection']['mapping'], 'the secret is never configuration');
    $this->assertArrayNotHasKey('private_key_pem', $schema['mapping']['connection']['mapping'], 'the private key is never configuration');
    $tenant = $schema['mapping']['connection']['mapping']['tenant_id']['constraints']['Regex']['pattern'];
    $this->assertSame(1, preg_match($tenant, '11111111-2222-3333-4444-555555555555'));
    $this->assertSame(1, preg_match($tenant, 'contoso.onmicrosoft.com'));
    $this->assertSame(0, preg_match($tenant, 'not a tenant'));
  }

  /**
   * A coding-standard rule, read from the tokens PHP itself produces: the
   * first statement of every PHP file of the module is
   * declare(strict_types=1).
   */
  public function testEveryModulePhpFileDeclaresStrictTypes(): void {
    $files = array_merge(
      [self::root() . '/entra_provisioning.module', self::root() . '/entra_provisioning.install', self::root() . '/preload.php'],
      iterator_to_array(new \RegexIterator(new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(self::root() . '/src', \FilesystemIterator::SKIP_DOTS)), '/\\.php$/'), FALSE)
    );
    $this->assertGreaterThan(30, count($files));
    foreach ($files as $file) {
      $code = [];
      foreach (token_get_all((string) file_get_contents((string) $file)) as $token) {
        if (is_array($token) && in_array($token[0], [T_OPEN_TAG, T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], TRUE)) {
          continue;
        }
        $code[] = is_array($token) ? $token[1] : $token;
        if (count($code) === 6) {
          break;
        }
      }
      $this->assertSame(['declare', '(', 'strict_types', '=', '1', ')'], $code, (string) $file);
    }
  }

  public function testEveryPhpFileLints(): void {
    $iterator = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(self::root(), \FilesystemIterator::SKIP_DOTS));
    $files = [];
    foreach ($iterator as $file) {
      $path = (string) $file;
      if (str_contains($path, '/vendor/') || str_contains($path, '/lib/')) {
        continue;
      }
      if (preg_match('/\.(php|module|install)$/', $path) === 1) {
        $files[] = $path;
      }
    }
    $this->assertGreaterThan(30, count($files));
    foreach ($files as $path) {
      $output = [];
      $code = 0;
      exec(escapeshellarg(PHP_BINARY) . ' -l ' . escapeshellarg($path) . ' 2>&1', $output, $code);
      $this->assertSame(0, $code, $path . ': ' . implode("\n", $output));
    }
  }

}
