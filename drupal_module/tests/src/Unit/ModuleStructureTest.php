<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit;

use PHPUnit\Framework\TestCase;

/**
 * The module files parse, and every class they name exists where PSR-4 puts it.
 */
final class ModuleStructureTest extends TestCase
{
    private const NS = 'Drupal\\entra_provisioning\\';

    private static function root(): string
    {
        return dirname(__DIR__, 3);
    }

    /**
     * @return array<string, mixed>
     */
    private static function yaml(string $file): array
    {
        $path = self::root() . '/' . $file;
        self::assertFileExists($path);
        $data = yaml_parse_file($path);
        self::assertIsArray($data, $file . ' is not a YAML mapping');

        return $data;
    }

    /**
     * The file a module class lives in under PSR-4.
     */
    private static function classFile(string $class): string
    {
        $class = ltrim($class, '\\');
        self::assertStringStartsWith(self::NS, $class, $class . ' is not a class of this module');

        return self::root() . '/src/' . str_replace('\\', '/', substr($class, strlen(self::NS))) . '.php';
    }

    private static function assertClassFile(string $class, string $where): void
    {
        $file = self::classFile($class);
        self::assertFileExists($file, $class . ' named in ' . $where);
        $short = substr($class, (int) strrpos($class, '\\') + 1);
        self::assertMatchesRegularExpression('/^(final\s+|abstract\s+)?(class|interface|trait|enum)\s+' . preg_quote($short, '/') . '\b/m', (string) file_get_contents($file), $file . ' declares ' . $short);
        self::assertStringContainsString('declare(strict_types=1);', (string) file_get_contents($file), $file);
    }

    public function setUp(): void
    {
        if (!function_exists('yaml_parse_file')) {
            $this->markTestSkipped('php-yaml is not installed (apt-get install php8.2-yaml).');
        }
    }

    public function testEveryYamlFileParses(): void
    {
        $files = array_merge(glob(self::root() . '/*.yml') ?: [], glob(self::root() . '/config/*/*.yml') ?: []);
        $this->assertGreaterThanOrEqual(8, count($files));
        foreach ($files as $file) {
            $this->assertIsArray(yaml_parse_file($file), $file);
        }
    }

    public function testInfoFile(): void
    {
        $info = self::yaml('entra_provisioning.info.yml');
        $this->assertSame('module', $info['type']);
        $this->assertSame('^10.3 || ^11', $info['core_version_requirement']);
        $this->assertArrayHasKey($info['configure'], self::yaml('entra_provisioning.routing.yml'));
    }

    public function testServiceClassesAndReferencesExist(): void
    {
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

    public function testRoutesNameExistingFormsAndControllers(): void
    {
        $permissions = self::yaml('entra_provisioning.permissions.yml');
        $this->assertTrue($permissions['administer entra provisioning']['restrict access']);
        foreach (self::yaml('entra_provisioning.routing.yml') as $name => $route) {
            $this->assertSame('administer entra provisioning', $route['requirements']['_permission'] ?? null, "route $name");
            $this->assertStringStartsWith('/admin/config/people/entra-provisioning', $route['path']);
            if (isset($route['defaults']['_form'])) {
                self::assertClassFile($route['defaults']['_form'], "route $name");
            }
            if (isset($route['defaults']['_controller'])) {
                [$class, $method] = explode('::', $route['defaults']['_controller']);
                self::assertClassFile($class, "route $name");
                $this->assertStringContainsString('function ' . $method . '(', (string) file_get_contents(self::classFile($class)));
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

    public function testHookClassesAndLegacyShims(): void
    {
        $hooks = glob(self::root() . '/src/Hook/*.php') ?: [];
        $this->assertNotEmpty($hooks);
        $services = self::yaml('entra_provisioning.services.yml')['services'];
        $implemented = [];
        foreach ($hooks as $file) {
            $class = self::NS . 'Hook\\' . basename($file, '.php');
            self::assertClassFile($class, 'src/Hook');
            $this->assertArrayHasKey($class, $services, $class . ' is a service, so the legacy shims can call it');
            preg_match_all("/#\\[Hook\\('([a-z_]+)'\\)\\]/", (string) file_get_contents($file), $m);
            $this->assertNotEmpty($m[1], $file . ' implements no hook');
            $implemented = array_merge($implemented, $m[1]);
        }
        foreach (['user_insert', 'user_update', 'user_cancel', 'user_delete', 'cron', 'runtime_requirements'] as $hook) {
            $this->assertContains($hook, $implemented);
        }

        // Every OOP hook but the requirements one has a #[LegacyHook] shim
        // (hook_requirements has its own in the .install file).
        $module = (string) file_get_contents(self::root() . '/entra_provisioning.module');
        $shims = [
            'user_insert' => 'UserHooks::class)->userInsert(',
            'user_update' => 'UserHooks::class)->userUpdate(',
            'user_cancel' => 'UserHooks::class)->userCancel(',
            'user_delete' => 'UserHooks::class)->userDelete(',
            'cron' => 'CronHooks::class)->cron(',
            'help' => 'HelpHooks::class)->help(',
        ];
        foreach ($shims as $hook => $call) {
            $this->assertMatchesRegularExpression('/#\[LegacyHook\]\s*function entra_provisioning_' . $hook . '\(/', $module);
            $this->assertStringContainsString('\Drupal::service(' . $call, $module);
        }
        $this->assertSame(count($shims), preg_match_all('/^#\[LegacyHook\]$/m', $module), 'no shim without its OOP hook');
        $install = (string) file_get_contents(self::root() . '/entra_provisioning.install');
        $this->assertMatchesRegularExpression('/#\[LegacyRequirementsHook\]\s*function entra_provisioning_requirements\(/', $install);
        $this->assertStringContainsString('function entra_provisioning_schema()', $install);
        $this->assertStringContainsString('function entra_provisioning_uninstall(', $install);
        // The ordering columns: in the schema, and added to existing sites.
        $this->assertMatchesRegularExpression("/'queued_seq' => _entra_provisioning_sequence_field\(/", $install);
        $this->assertMatchesRegularExpression("/'done_seq' => _entra_provisioning_sequence_field\(/", $install);
        $this->assertMatchesRegularExpression('/function entra_provisioning_update_10001\(\)/', $install);
    }

    public function testTheUiUsesTheSharedServicesAndTheLibraryPropertyList(): void
    {
        $services = self::yaml('entra_provisioning.services.yml')['services'];
        $batch = (string) file_get_contents(self::root() . '/src/Drupal/BulkSyncBatch.php');
        preg_match_all("/\\\\Drupal::service\('([a-z_.]+)'\)/", $batch, $m);
        $this->assertNotEmpty($m[1]);
        foreach ($m[1] as $id) {
            $this->assertArrayHasKey($id, $services, 'BulkSyncBatch uses ' . $id);
        }
        $this->assertStringContainsString('public static function process(', $batch);
        $this->assertStringContainsString('public static function finished(', $batch);
        $form = (string) file_get_contents(self::root() . '/src/Form/ProvisioningForm.php');
        $this->assertStringNotContainsString('GRAPH_PROPERTIES', $form, 'the property list comes from the library');
        $this->assertStringContainsString('->mappableProperties()', $form);
        $this->assertStringContainsString('batch_set(BulkSyncBatch::build(', $form);
        foreach (['lifecycle.update', 'lifecycle.sync_status', 'lifecycle.on_cancel', 'lifecycle.on_delete', 'bulk.chunk_size'] as $key) {
            $this->assertStringContainsString("self::target('" . $key . "')", $form, $key . ' is on step 3');
        }
        $direction = (string) file_get_contents(self::root() . '/src/Form/DirectionForm.php');
        foreach (['import.interval', 'import.removed', 'import.create_accounts', 'import.include_guests'] as $key) {
            $this->assertStringContainsString("self::target('" . $key . "')", $direction, $key . ' is on step 2');
        }
    }

    public function testQueueWorkerPluginMatchesTheQueueName(): void
    {
        $file = self::root() . '/src/Plugin/QueueWorker/ProvisionUserWorker.php';
        $this->assertFileExists($file);
        $source = (string) file_get_contents($file);
        $this->assertMatchesRegularExpression("/#\\[QueueWorker\\(\\s*id: 'entra_provisioning_user'/", $source);
        $this->assertStringContainsString("NAME = 'entra_provisioning_user'", (string) file_get_contents(self::root() . '/src/Provisioning/ProvisioningQueueInterface.php'));
    }

    public function testConfigDefaultsMatchTheSchema(): void
    {
        $defaults = self::yaml('config/install/entra_provisioning.settings.yml');
        $schema = self::yaml('config/schema/entra_provisioning.schema.yml')['entra_provisioning.settings'];
        $this->assertSame('config_object', $schema['type']);
        foreach ($defaults as $group => $values) {
            $this->assertArrayHasKey($group, $schema['mapping']);
            foreach ($values as $key => $value) {
                $definition = $schema['mapping'][$group]['mapping'][$key] ?? null;
                $this->assertIsArray($definition, "schema for $group.$key");
                $pattern = $definition['constraints']['Regex']['pattern'] ?? null;
                if ($pattern !== null) {
                    $this->assertSame(1, preg_match($pattern, (string) $value), "default of $group.$key matches its Regex");
                }
                $choices = $definition['constraints']['Choice']['choices'] ?? null;
                if ($choices !== null) {
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

    public function testEveryPhpFileLints(): void
    {
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
