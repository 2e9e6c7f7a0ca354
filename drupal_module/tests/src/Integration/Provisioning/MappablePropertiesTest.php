<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;

/**
 * The mapping table's Graph properties come from the REAL library (step 3
 * no longer has a list of its own). No client, no network.
 */
final class MappablePropertiesTest extends NativeTestCase {

  public function testThePropertyListComesFromTheLibrary(): void {
    $clients = new ClientFactory(new ArrayConfigSource(ArrayConfigSource::defaults(), ['library' => $this->libraryPath(), 'header' => $this->headerPath()]), new InMemoryState(), new FakeKeyRepository(), new EntraNativeFactory());
    $list = $clients->mappableProperties();
    $names = array_column($list['properties'], 'name');
    foreach (['givenName', 'surname', 'jobTitle', 'department', 'usageLocation'] as $property) {
      $this->assertContains($property, $names);
    }
    $byName = array_column($list['properties'], 'max_length', 'name');
    $this->assertSame(2, $byName['usageLocation']);
    // What the mapping sets itself is not offered.
    foreach (['userPrincipalName', 'mailNickname', 'displayName', 'mail', 'accountEnabled', 'passwordProfile'] as $fixed) {
      $this->assertNotContains($fixed, $names);
      $this->assertContains($fixed, $list['fixed']);
    }
  }

  public function testAnUnloadableLibraryIsAnExceptionTheFormCanShow(): void {
    $clients = new ClientFactory(new ArrayConfigSource(ArrayConfigSource::defaults(), ['library' => '/nonexistent/libentra_provisioning.so', 'header' => $this->headerPath()]), new InMemoryState(), new FakeKeyRepository(), new EntraNativeFactory());
    $this->expectException(EntraException::class);
    $clients->mappableProperties();
  }

}
