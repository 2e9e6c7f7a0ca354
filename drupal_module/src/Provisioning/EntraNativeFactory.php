<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Native\NativeClientInterface;

/**
 * NativeFactoryInterface over the FFI binding EntraNative.
 */
final class EntraNativeFactory implements NativeFactoryInterface {

  public function create(
    #[\SensitiveParameter]
    array $config,
    string $library,
    string $header,
    ?string $mode
  ): NativeClientInterface {
    return new EntraNative($config, $library, $header, $mode);
  }

  public function validate(
    #[\SensitiveParameter]
    array $config,
    string $library,
    string $header,
    ?string $mode
  ): void {
    $native = new EntraNative($config, $library, $header, $mode);
    try {
      $native->connect();
    }
    finally {
      $native->close();
    }
  }

  public function environment(string $library, string $header): array {
    return FfiLoader::environment($library, $header);
  }

  public function probe(string $library, string $header, ?string $mode): array {
    $native = new EntraNative([], $library, $header, $mode);
    try {
      $info = $native->info();

      return [
        'ok' => TRUE,
        'version' => (string) $info['version'],
        'abi_version' => (int) $info['abi_version'],
        'expected_abi' => FfiLoader::ABI_VERSION,
        'mode' => (string) $info['mode'],
        'error' => NULL,
      ];
    }
    catch (EntraException $e) {
      return [
        'ok' => FALSE,
        'version' => NULL,
        'abi_version' => NULL,
        'expected_abi' => FfiLoader::ABI_VERSION,
        'mode' => NULL,
        'error' => $e->getMessage(),
      ];
    }
    finally {
      $native->close();
    }
  }

  public function mappableProperties(string $library, string $header, ?string $mode): array {
    $result = self::clientless($library, $header, $mode, static fn (EntraNative $native): array => $native->mappableProperties());
    $properties = [];
    foreach (is_array($result['properties'] ?? NULL) ? $result['properties'] : [] as $property) {
      if (is_array($property) && is_string($property['name'] ?? NULL)) {
        $properties[] = ['name' => $property['name'], 'max_length' => is_int($property['max_length'] ?? NULL) ? $property['max_length'] : NULL];
      }
    }
    $fixed = is_array($result['fixed'] ?? NULL) ? array_values(array_filter($result['fixed'], 'is_string')) : [];

    return ['properties' => $properties, 'fixed' => $fixed];
  }

  public function describe(string $library, string $header, ?string $mode): LibraryFacts {
    return new LibraryFacts(self::clientless($library, $header, $mode, static fn (EntraNative $native): array => $native->describe()));
  }

  public function decide(array $question, string $library, string $header, ?string $mode): array {
    return self::clientless($library, $header, $mode, static fn (EntraNative $native): array => $native->decide($question));
  }

  public function checkCertificate(
    string $certificatePem,
    #[\SensitiveParameter]
    ?string $privateKeyPem,
    string $library,
    string $header,
    ?string $mode
  ): array {
    return self::clientless($library, $header, $mode, static fn (EntraNative $native): array => $native->checkCertificate($certificatePem, $privateKeyPem));
  }

  /**
   * Runs one of the library's client-less calls on a binding without a
   * configuration, closed afterwards whatever happens.
   *
   * @param callable(EntraNative): array<string, mixed> $call
   *
   * @return array<string, mixed>
   */
  private static function clientless(string $library, string $header, ?string $mode, callable $call): array {
    $native = new EntraNative([], $library, $header, $mode);
    try {
      return $call($native);
    }
    finally {
      $native->close();
    }
  }

}
