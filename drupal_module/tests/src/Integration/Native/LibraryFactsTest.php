<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;

/**
 * What the library says about itself (entra_describe), as the module reads it.
 */
final class LibraryFactsTest extends NativeTestCase {

  public function testTheFixtureTheFakesUseIsWhatTheLibraryReports(): void {
    $live = (new \Drupal\entra_provisioning\Native\EntraNative([], $this->libraryPath(), $this->headerPath(), NULL))->describe();
    // assertEquals: JSON does not keep 150.0 apart from 150.
    $this->assertEquals($live, FakeNativeFactory::fixtureFacts(), 'regenerate tests/fixtures/library-facts.json from entra_describe');
  }

  public function testTheFactsTheModuleBuildsOn(): void {
    $facts = $this->libraryFacts();
    $this->assertSame(1000, $facts->maxUsersPerCall());
    $this->assertSame(30000, $facts->configDefault('timeout_ms'));
    $this->assertSame([0, 20], $facts->configRange('max_retries'));
    $this->assertNull($facts->configRange('no_such_setting'));
    $this->assertSame(['tenant_id', 'client_id', 'primary_domain', 'client_secret'], $facts->requiredFields('client_secret'));
    $clouds = $facts->clouds();
    $this->assertSame(['global', 'usgov', 'usgov-dod', 'china'], array_keys($clouds));
    $this->assertSame('https://graph.microsoft.us', $clouds['usgov']['graph_endpoint']);
    // The module stores the direction names in its configuration and tables.
    $this->assertSame([ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL], $facts->directions());
    $this->assertSame('User.ReadWrite.All', $facts->permission(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA));
    $this->assertSame('User.Read.All', $facts->permission(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL));
    $this->assertSame('', $facts->permission('sideways'));
    $retryable = array_keys(array_filter($facts->statuses(), static fn (array $s): bool => $s['retryable']));
    $this->assertSame([8, 9], $retryable);
  }

  public function testTheFieldsToLoadAreTheOnesTheLibrarysMappingReads(): void {
    $source = new ArrayConfigSource(ArrayConfigSource::defaults([
      'mapping' => ['display_name_field' => 'field_full_name',
        'properties' => [['field' => 'field_first_name', 'property' => 'givenName'], ['field' => 'field_full_name', 'property' => 'surname']]],
    ]), ['library' => $this->libraryPath(), 'header' => $this->headerPath()]);
    $clients = new ClientFactory($source, new InMemoryState(), new FakeKeyRepository(), new EntraNativeFactory());
    $this->assertSame(['field_first_name', 'field_full_name'], $clients->mappedFieldNames());
    // Remembered for the request, but a changed mapping is asked again.
    $source->config['mapping']['display_name_field'] = 'name';
    $this->assertSame(['field_first_name', 'field_full_name'], $clients->mappedFieldNames(), 'the mapped property still reads field_full_name');
    $source->config['mapping']['properties'] = [['field' => 'field_first_name', 'property' => 'givenName']];
    $this->assertSame(['field_first_name'], $clients->mappedFieldNames());

    // A library that cannot be loaded: nothing to load, and no exception
    // (the call that needs the fields reports the reason).
    $broken = new ArrayConfigSource($source->config, ['library' => '/nonexistent/libentra_provisioning.so', 'header' => $this->headerPath()]);
    $this->assertSame([], (new ClientFactory($broken, new InMemoryState(), new FakeKeyRepository(), new EntraNativeFactory()))->mappedFieldNames());
  }

}
