<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\ResolvedSecret;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use PHPUnit\Framework\TestCase;

/**
 * Settings -> library configuration JSON, and where the secret comes from.
 */
final class ClientFactoryTest extends TestCase {

  private const TENANT = '11111111-2222-3333-4444-555555555555';
  private const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

  /**
   * @param array<string, mixed> $config
   * @param array<string, mixed> $site
   */
  private function factory(array $config = [], array $site = [], ?FakeKeyRepository $keys = NULL, ?InMemoryState $state = NULL): ClientFactory {
    $source = new ArrayConfigSource(ArrayConfigSource::defaults(array_replace_recursive([
      'connection' => ['tenant_id' => self::TENANT, 'client_id' => self::CLIENT, 'primary_domain' => 'contoso.onmicrosoft.com'],
    ], $config)), $site, '/var/www/web/modules/custom/entra_provisioning');

    return new ClientFactory($source, $state ?? new InMemoryState(), $keys ?? new FakeKeyRepository(), new FakeNativeFactory());
  }

  public function testConfigJsonShape(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_SECRET, 'from-state');
    $factory = $this->factory([
      'connection' => ['cloud' => 'usgov'],
      'mapping' => ['upn_source' => 'mail', 'display_name_field' => 'field_full_name', 'force_change_password' => FALSE,
        'properties' => [['field' => 'field_first_name', 'property' => 'givenName'], ['field' => '', 'property' => 'surname']]],
      'advanced' => ['timeout_ms' => 5000, 'max_concurrency' => 2, 'max_retries' => 1],
    ], [], NULL, $state);
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
        'force_change_password' => FALSE,
        'update_upn' => FALSE,
        'properties' => ['field_first_name' => 'givenName'],
      ],
    ], $factory->buildConfig());
    $this->assertSame('[REDACTED]', $factory->describeConfig()['client_secret']);
  }

  public function testEndpointsComeFromSettingsPhpOnly(): void {
    // A value left in configuration (set through the old form, or an
    // imported config) is never used: the credential goes to the login
    // endpoint.
    $factory = $this->factory(['connection' => ['login_endpoint' => 'https://login.example', 'graph_endpoint' => 'https://graph.example']]);
    $config = $factory->describeConfig();
    $this->assertArrayNotHasKey('login_endpoint', $config);
    $this->assertArrayNotHasKey('graph_endpoint', $config);
    $this->assertSame([], $factory->endpointOverrides());

    $factory = $this->factory(['connection' => ['graph_endpoint' => 'https://graph.example']], ['login_endpoint' => 'http://127.0.0.1:8080', 'graph_endpoint' => 'http://127.0.0.1:8080']);
    $config = $factory->describeConfig();
    $this->assertSame('http://127.0.0.1:8080', $config['login_endpoint']);
    $this->assertSame('http://127.0.0.1:8080', $config['graph_endpoint']);
    $this->assertSame(['login_endpoint' => 'http://127.0.0.1:8080', 'graph_endpoint' => 'http://127.0.0.1:8080'], $factory->endpointOverrides());
  }

  public function testOnlyAuthenticationKeysOfTheKeyModuleAreUsed(): void {
    $keys = new FakeKeyRepository(TRUE, ['entra' => 'from-key-module-1234', 'aes' => 'not-a-secret-for-entra']);
    $keys->types['aes'] = 'encryption';
    $good = $this->factory(['connection' => ['secret_key_id' => 'entra']], [], $keys)->resolveSecret();
    $this->assertSame('from-key-module-1234', $good->value());
    $bad = $this->factory(['connection' => ['secret_key_id' => 'aes']], [], $keys)->resolveSecret();
    $this->assertNull($bad->value());
    $this->assertStringContainsString('type "encryption"', (string) $bad->problem);
  }

  public function testLibraryPathsDefaultToTheModuleAndFollowSettingsPhp(): void {
    $factory = $this->factory();
    $this->assertSame('/var/www/web/modules/custom/entra_provisioning/lib/libentra_provisioning.so', $factory->libraryPath());
    $this->assertSame('/var/www/web/modules/custom/entra_provisioning/lib/entra_provisioning.h', $factory->headerPath());
    $this->assertNull($factory->ffiMode());

    $factory = $this->factory([], ['library' => '/opt/entra/lib.so', 'header' => '/opt/entra/e.h', 'ffi_mode' => 'preload']);
    $this->assertSame('/opt/entra/lib.so', $factory->libraryPath());
    $this->assertSame('/opt/entra/e.h', $factory->headerPath());
    $this->assertSame('preload', $factory->ffiMode());
  }

  public function testSecretPrecedenceSettingsThenKeyThenState(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_SECRET, 'state-secret');
    $keys = new FakeKeyRepository(TRUE, ['entra' => 'key-secret']);

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

  public function testAChosenKeyThatCannotBeReadIsReportedNotSilentlyReplaced(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_SECRET, 'state-secret');
    $noModule = $this->factory(['connection' => ['secret_key_id' => 'entra']], [], new FakeKeyRepository(FALSE), $state)->resolveSecret();
    $this->assertSame(ResolvedSecret::SOURCE_KEY, $noModule->source);
    $this->assertFalse($noModule->hasValue());
    $this->assertStringContainsString('Key module is not installed', (string) $noModule->problem);

    $noKey = $this->factory(['connection' => ['secret_key_id' => 'gone']], [], new FakeKeyRepository(TRUE), $state)->resolveSecret();
    $this->assertFalse($noKey->hasValue());
    $this->assertStringContainsString('"gone" does not exist', (string) $noKey->problem);
  }

  public function testTheSecretNeverShowsInDumpsAndIsRedacted(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_SECRET, 'canary-dump-secret');
    $factory = $this->factory([], [], NULL, $state);
    $secret = $factory->resolveSecret();
    $this->assertStringNotContainsString('canary-dump-secret', print_r($secret, TRUE));
    $this->assertStringNotContainsString('canary-dump-secret', var_export($factory->describeConfig(), TRUE));
    $this->assertSame(['a' => 'x [REDACTED] y', 'n' => ['[REDACTED]']], $factory->redact(['a' => 'x canary-dump-secret y', 'n' => ['canary-dump-secret']]));
    $this->expectException(\LogicException::class);
    serialize($secret);
  }

  public function testMissingLists(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_SECRET, 's');
    $factory = $this->factory(['connection' => ['tenant_id' => '', 'primary_domain' => '']], [], NULL, $state);
    $this->assertSame(['tenant_id', 'primary_domain'], $factory->missing());
    $factory->storeSecret('new');
    $this->assertSame('new', $state->get(ClientFactory::STATE_SECRET));
  }

  // -----------------------------------------------------------------
  // The certificate credential.
  // -----------------------------------------------------------------

  private static function fixture(string $file): string {
    return (string) file_get_contents(dirname(__DIR__, 5) . '/tests/fixtures/' . $file);
  }

  /**
   * @return array<string, mixed>
   */
  private static function certificateConfig(array $connection = []): array {
    return ['connection' => $connection + ['credential_type' => ModuleSettings::CREDENTIAL_CERTIFICATE, 'certificate_pem' => self::fixture('test-app.cert.pem')]];
  }

  public function testCertificateConfigJsonHasClientCertificateAndNoClientSecret(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_SECRET, 'stale-client-secret');
    $state->set(ClientFactory::STATE_PRIVATE_KEY, self::fixture('test-app.key.pem'));
    $factory = $this->factory(self::certificateConfig(), [], NULL, $state);

    $config = $factory->buildConfig();
    $this->assertArrayNotHasKey('client_secret', $config, 'the library accepts exactly one credential');
    $this->assertSame(['private_key_pem' => self::fixture('test-app.key.pem'), 'certificate_pem' => trim(self::fixture('test-app.cert.pem'))], $config['client_certificate']);
    // Advanced values the site left unset are not sent: the library's defaults apply.
    $this->assertSame(['tenant_id', 'client_id', 'client_certificate', 'primary_domain', 'cloud', 'mapping'], array_keys($config));

    $described = $factory->describeConfig();
    $this->assertSame('[REDACTED]', $described['client_certificate']['private_key_pem']);
    $this->assertArrayNotHasKey('client_secret', $described);
    $this->assertStringNotContainsString('PRIVATE KEY', (string) json_encode($described));
    $this->assertSame(ResolvedSecret::PRIVATE_KEY, $factory->resolveSecret()->name, 'the active secret is the private key');
    $this->assertSame([], $factory->missing());

    // The secret type ignores a stored private key and certificate.
    $secretType = $this->factory(['connection' => ['certificate_pem' => self::fixture('test-app.cert.pem')]], [], NULL, $state);
    $this->assertSame('stale-client-secret', $secretType->buildConfig()['client_secret']);
    $this->assertArrayNotHasKey('client_certificate', $secretType->buildConfig());
  }

  public function testCertificateMissingNamesTheLibraryFields(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_SECRET, 'a-client-secret');
    $factory = $this->factory(self::certificateConfig(['certificate_pem' => '']), [], NULL, $state);
    $this->assertSame(['client_certificate.certificate_pem', 'client_certificate.private_key_pem'], $factory->missing());
    $factory->storeSecret("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n", ResolvedSecret::PRIVATE_KEY);
    $this->assertSame(['client_certificate.certificate_pem'], $factory->missing());
    $this->assertSame('a-client-secret', $state->get(ClientFactory::STATE_SECRET), 'storing the key leaves the client secret alone');
  }

  public function testPrivateKeyPrecedenceSettingsThenKeyThenState(): void {
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_PRIVATE_KEY, 'state-key');
    $state->set(ClientFactory::STATE_SECRET, 'state-secret');
    $keys = new FakeKeyRepository(TRUE, ['entra-key' => 'key-module-key', 'entra' => 'key-secret']);

    $all = $this->factory(self::certificateConfig(['private_key_key_id' => 'entra-key', 'secret_key_id' => 'entra']), ['private_key_pem' => 'settings-key', 'client_secret' => 'settings-secret'], $keys, $state);
    $this->assertSame(ResolvedSecret::SOURCE_SETTINGS, $all->resolveSecret(ResolvedSecret::PRIVATE_KEY)->source);
    $this->assertSame('settings-key', $all->buildConfig()['client_certificate']['private_key_pem']);
    $this->assertTrue($all->secretFromSettings(ResolvedSecret::PRIVATE_KEY));
    $this->assertStringContainsString("['private_key_pem']", $all->resolveSecret()->describe());

    $keyAndState = $this->factory(self::certificateConfig(['private_key_key_id' => 'entra-key']), ['client_secret' => 'settings-secret'], $keys, $state);
    $this->assertSame(ResolvedSecret::SOURCE_KEY, $keyAndState->resolveSecret()->source);
    $this->assertSame('key-module-key', $keyAndState->buildConfig()['client_certificate']['private_key_pem']);
    $this->assertFalse($keyAndState->secretFromSettings(ResolvedSecret::PRIVATE_KEY), 'the client secret in settings.php does not count for the key');
    $this->assertTrue($keyAndState->secretFromSettings(ResolvedSecret::CLIENT_SECRET));
    $this->assertStringContainsString('"entra-key"', $keyAndState->resolveSecret()->describe());

    $stateOnly = $this->factory(self::certificateConfig(['secret_key_id' => 'entra']), [], $keys, $state);
    $this->assertSame(ResolvedSecret::SOURCE_STATE, $stateOnly->resolveSecret()->source);
    $this->assertSame('state-key', $stateOnly->buildConfig()['client_certificate']['private_key_pem']);
    $this->assertSame('State (entra_provisioning.private_key_pem), entered on step 1', $stateOnly->resolveSecret()->describe());
    $this->assertSame(ResolvedSecret::SOURCE_KEY, $stateOnly->resolveSecret(ResolvedSecret::CLIENT_SECRET)->source, 'each secret has its own key id');

    $unreadable = $this->factory(self::certificateConfig(['private_key_key_id' => 'gone']), [], $keys, $state)->resolveSecret();
    $this->assertFalse($unreadable->hasValue(), 'a chosen key that cannot be read is not replaced by State');
    $this->assertStringContainsString('"gone" does not exist', (string) $unreadable->problem);
    $noModule = $this->factory(self::certificateConfig(['private_key_key_id' => 'entra-key']), [], new FakeKeyRepository(FALSE), $state)->resolveSecret();
    $this->assertStringContainsString('enter the private key there', (string) $noModule->problem);

    $none = $this->factory(self::certificateConfig(), [], $keys, new InMemoryState());
    $this->assertSame(ResolvedSecret::SOURCE_NONE, $none->resolveSecret()->source);
    $this->assertSame(['client_certificate.private_key_pem'], $none->missing());
  }

  public function testRedactScrubsThePrivateKeyAndTheClientSecret(): void {
    $key = self::fixture('other.key.pem');
    $state = new InMemoryState();
    $state->set(ClientFactory::STATE_PRIVATE_KEY, $key);
    $state->set(ClientFactory::STATE_SECRET, 'canary-client-secret');
    $lines = array_values(array_filter(array_map('trim', explode("\n", $key)), static fn (string $l): bool => $l !== '' && !str_starts_with($l, '-----')));
    $this->assertGreaterThan(10, count($lines));

    foreach ([self::certificateConfig(), []] as $config) {
      $factory = $this->factory($config, [], NULL, $state);
      $redacted = $factory->redact([
        'whole' => 'before ' . $key . ' after',
        'crlf' => str_replace("\n", "\r\n", $key),
        'json' => (string) json_encode(['k' => $key]),
        'line' => 'one line: ' . $lines[5],
        'nested' => ['secret' => 'x canary-client-secret y'],
      ]);
      $text = (string) json_encode($redacted, JSON_UNESCAPED_SLASHES);
      foreach ($lines as $line) {
        $this->assertStringNotContainsString($line, $text);
        $this->assertStringNotContainsString(str_replace('/', '\\/', $line), (string) json_encode($redacted));
      }
      $this->assertStringNotContainsString('canary-client-secret', $text, 'both secrets, whichever credential is chosen');
      $this->assertStringStartsWith('before ', $redacted['whole']);
      $this->assertStringContainsString('[REDACTED]', $redacted['line']);
    }

    $resolved = $this->factory(self::certificateConfig(), [], NULL, $state)->resolveSecret();
    $this->assertStringNotContainsString($lines[3], print_r($resolved, TRUE));
  }

}
