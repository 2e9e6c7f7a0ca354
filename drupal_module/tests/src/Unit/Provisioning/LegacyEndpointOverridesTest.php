<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\LegacyEndpointOverrides;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Drupal\entra_provisioning\Provisioning\LegacyEndpointOverrides
 */
final class LegacyEndpointOverridesTest extends TestCase {

  public function testStoredOverridesBecomeSettingsPhpLinesThatPhpReadsBack(): void {
    $lines = LegacyEndpointOverrides::settingsLines([
      'tenant_id' => 'ignored',
      'login_endpoint' => " https://login.example.test ",
      'graph_endpoint' => "https://admin:hunter22@graph.example.test/it's",
    ]);
    $this->assertSame([
      "\$settings['entra_provisioning']['login_endpoint'] = 'https://login.example.test';",
      "\$settings['entra_provisioning']['graph_endpoint'] = 'https://graph.example.test/it\\'s';",
    ], $lines);
    $this->assertStringNotContainsString('hunter22', implode("\n", $lines));
    // What the admin pastes is valid PHP giving the same values.
    $settings = [];
    eval(implode("\n", $lines));
    $this->assertSame("https://graph.example.test/it's", $settings['entra_provisioning']['graph_endpoint']);
  }

  public function testNothingStoredGivesNoLines(): void {
    $this->assertSame([], LegacyEndpointOverrides::settingsLines([]));
    $this->assertSame([], LegacyEndpointOverrides::settingsLines(['login_endpoint' => '  ', 'graph_endpoint' => NULL]));
  }

}
