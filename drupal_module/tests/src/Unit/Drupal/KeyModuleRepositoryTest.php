<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Drupal;

use Drupal\entra_provisioning\Drupal\KeyModuleRepository;
use PHPUnit\Framework\TestCase;

/**
 * The adapter of the Key module's key.repository service, over a stand-in
 * of that service (getKey() returning key entities or null).
 */
final class KeyModuleRepositoryTest extends TestCase {

  /**
   * @param array<string, object> $keys
   */
  private static function repository(array $keys): object {
    return new class ($keys) {
      /**
       * @param array<string, object> $keys
       */
      public function __construct(private array $keys) {
      }

      public function getKey($key_id) {
        return $this->keys[$key_id] ?? NULL;
      }
    };
  }

  /**
   * A key entity whose getKeyType() returns $type (a plugin or an id).
   */
  private static function key(string $value, mixed $type): object {
    return new class ($value, $type) {
      public function __construct(private string $value, private mixed $type) {
      }

      public function getKeyValue() {
        return $this->value;
      }

      public function getKeyType() {
        return $this->type;
      }
    };
  }

  public function testWithoutTheKeyModuleNothingIsAvailable(): void {
    $keys = new KeyModuleRepository(NULL);
    $this->assertFalse($keys->isAvailable());
    $this->assertNull($keys->getKeyValue('entra'));
    $this->assertNull($keys->keyType('entra'));
  }

  public function testValueAndTypeOfAKey(): void {
    $plugin = new class {
      public function getPluginId() {
        return 'authentication';
      }
    };
    $keys = new KeyModuleRepository(self::repository([
      'entra' => self::key('s3cret-value', $plugin),
      'legacy' => self::key('other', 'encryption'),
      'empty' => self::key('', 'authentication'),
    ]));
    $this->assertTrue($keys->isAvailable());
    $this->assertSame('s3cret-value', $keys->getKeyValue('entra'));
    $this->assertSame('authentication', $keys->keyType('entra'), 'the key type plugin of Key 1.x');
    $this->assertSame('encryption', $keys->keyType('legacy'), 'a type id, as older releases return it');
    $this->assertNull($keys->getKeyValue('empty'), 'an empty key has no value');
    $this->assertNull($keys->getKeyValue('missing'));
    $this->assertNull($keys->keyType('missing'));
    $this->assertNull($keys->keyType(''));
  }

}
