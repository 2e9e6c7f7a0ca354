<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ResolvedSecret;
use Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake\InMemoryState;
use PHPUnit\Framework\TestCase;

/**
 * Settings -> library configuration JSON, and where the secret comes from.
 */
final class ClientFactoryTest extends TestCase
{
    private const TENANT = '11111111-2222-3333-4444-555555555555';
    private const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

    /**
     * @param array<string, mixed> $config
     * @param array<string, mixed> $site
     */
    private function factory(array $config = [], array $site = [], ?FakeKeyRepository $keys = null, ?InMemoryState $state = null): ClientFactory
    {
        $source = new ArrayConfigSource(ArrayConfigSource::defaults(array_replace_recursive([
            'connection' => ['tenant_id' => self::TENANT, 'client_id' => self::CLIENT, 'primary_domain' => 'contoso.onmicrosoft.com'],
        ], $config)), $site, '/var/www/web/modules/custom/entra_provisioning');

        return new ClientFactory($source, $state ?? new InMemoryState(), $keys ?? new FakeKeyRepository(), new FakeNativeFactory());
    }

    public function testConfigJsonShape(): void
    {
        $state = new InMemoryState();
        $state->set(ClientFactory::STATE_SECRET, 'from-state');
        $factory = $this->factory([
            'connection' => ['cloud' => 'usgov'],
            'mapping' => ['upn_source' => 'mail', 'display_name_field' => 'field_full_name', 'force_change_password' => false,
                'properties' => [['field' => 'field_first_name', 'property' => 'givenName'], ['field' => '', 'property' => 'surname']]],
            'advanced' => ['timeout_ms' => 5000, 'max_concurrency' => 2, 'max_retries' => 1],
        ], [], null, $state);
        $this->assertSame([
            'tenant_id' => self::TENANT,
            'client_id' => self::CLIENT,
            'client_secret' => 'from-state',
            'primary_domain' => 'contoso.onmicrosoft.com',
            'cloud' => 'usgov',
            'timeout_ms' => 5000,
            'max_concurrency' => 2,
            'max_retries' => 1,
            'mapping' => [
                'upn_source' => 'mail',
                'display_name_field' => 'field_full_name',
                'force_change_password' => false,
                'properties' => ['field_first_name' => 'givenName'],
            ],
        ], $factory->buildConfig());
        $this->assertSame('[REDACTED]', $factory->describeConfig()['client_secret']);
        $this->assertSame(['field_first_name', 'field_full_name'], $factory->settings()->mappedFieldNames());
    }

    public function testEndpointsFromConfigAreOverriddenBySettingsPhp(): void
    {
        $factory = $this->factory(['connection' => ['login_endpoint' => 'https://login.example', 'graph_endpoint' => 'https://graph.example']]);
        $config = $factory->describeConfig();
        $this->assertSame('https://login.example', $config['login_endpoint']);
        $this->assertSame('https://graph.example', $config['graph_endpoint']);

        $factory = $this->factory(['connection' => ['graph_endpoint' => 'https://graph.example']], ['login_endpoint' => 'http://127.0.0.1:8080', 'graph_endpoint' => 'http://127.0.0.1:8080']);
        $config = $factory->describeConfig();
        $this->assertSame('http://127.0.0.1:8080', $config['login_endpoint']);
        $this->assertSame('http://127.0.0.1:8080', $config['graph_endpoint']);

        $this->assertArrayNotHasKey('graph_endpoint', $this->factory()->describeConfig(), 'empty = the cloud default');
    }

    public function testLibraryPathsDefaultToTheModuleAndFollowSettingsPhp(): void
    {
        $factory = $this->factory();
        $this->assertSame('/var/www/web/modules/custom/entra_provisioning/lib/libentra_provisioning.so', $factory->libraryPath());
        $this->assertSame('/var/www/web/modules/custom/entra_provisioning/lib/entra_provisioning.h', $factory->headerPath());
        $this->assertNull($factory->ffiMode());

        $factory = $this->factory([], ['library' => '/opt/entra/lib.so', 'header' => '/opt/entra/e.h', 'ffi_mode' => 'preload']);
        $this->assertSame('/opt/entra/lib.so', $factory->libraryPath());
        $this->assertSame('/opt/entra/e.h', $factory->headerPath());
        $this->assertSame('preload', $factory->ffiMode());
    }

    public function testSecretPrecedenceSettingsThenKeyThenState(): void
    {
        $state = new InMemoryState();
        $state->set(ClientFactory::STATE_SECRET, 'state-secret');
        $keys = new FakeKeyRepository(true, ['entra' => 'key-secret']);

        $all = $this->factory(['connection' => ['secret_key_id' => 'entra']], ['client_secret' => 'settings-secret'], $keys, $state);
        $this->assertSame(ResolvedSecret::SOURCE_SETTINGS, $all->resolveSecret()->source);
        $this->assertSame('settings-secret', $all->buildConfig()['client_secret']);
        $this->assertTrue($all->secretFromSettings());

        $keyAndState = $this->factory(['connection' => ['secret_key_id' => 'entra']], [], $keys, $state);
        $this->assertSame(ResolvedSecret::SOURCE_KEY, $keyAndState->resolveSecret()->source);
        $this->assertSame('key-secret', $keyAndState->buildConfig()['client_secret']);
        $this->assertStringContainsString('"entra"', $keyAndState->resolveSecret()->describe());

        $stateOnly = $this->factory([], [], $keys, $state);
        $this->assertSame(ResolvedSecret::SOURCE_STATE, $stateOnly->resolveSecret()->source);
        $this->assertSame('state-secret', $stateOnly->buildConfig()['client_secret']);

        $none = $this->factory();
        $this->assertSame(ResolvedSecret::SOURCE_NONE, $none->resolveSecret()->source);
        $this->assertSame(['client_secret'], $none->missing());
    }

    public function testAChosenKeyThatCannotBeReadIsReportedNotSilentlyReplaced(): void
    {
        $state = new InMemoryState();
        $state->set(ClientFactory::STATE_SECRET, 'state-secret');
        $noModule = $this->factory(['connection' => ['secret_key_id' => 'entra']], [], new FakeKeyRepository(false), $state)->resolveSecret();
        $this->assertSame(ResolvedSecret::SOURCE_KEY, $noModule->source);
        $this->assertFalse($noModule->hasValue());
        $this->assertStringContainsString('Key module is not installed', (string) $noModule->problem);

        $noKey = $this->factory(['connection' => ['secret_key_id' => 'gone']], [], new FakeKeyRepository(true), $state)->resolveSecret();
        $this->assertFalse($noKey->hasValue());
        $this->assertStringContainsString('"gone" does not exist', (string) $noKey->problem);
    }

    public function testTheSecretNeverShowsInDumpsAndIsRedacted(): void
    {
        $state = new InMemoryState();
        $state->set(ClientFactory::STATE_SECRET, 'canary-dump-secret');
        $factory = $this->factory([], [], null, $state);
        $secret = $factory->resolveSecret();
        $this->assertStringNotContainsString('canary-dump-secret', print_r($secret, true));
        $this->assertStringNotContainsString('canary-dump-secret', var_export($factory->describeConfig(), true));
        $this->assertSame(['a' => 'x [REDACTED] y', 'n' => ['[REDACTED]']], $factory->redact(['a' => 'x canary-dump-secret y', 'n' => ['canary-dump-secret']]));
        $this->expectException(\LogicException::class);
        serialize($secret);
    }

    public function testMissingLists(): void
    {
        $state = new InMemoryState();
        $state->set(ClientFactory::STATE_SECRET, 's');
        $factory = $this->factory(['connection' => ['tenant_id' => '', 'primary_domain' => '']], [], null, $state);
        $this->assertSame(['tenant_id', 'primary_domain'], $factory->missing());
        $factory->storeSecret('new');
        $this->assertSame('new', $state->get(ClientFactory::STATE_SECRET));
    }
}
