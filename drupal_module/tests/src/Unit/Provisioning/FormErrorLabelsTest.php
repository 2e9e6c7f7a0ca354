<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\FormErrorLabels;
use PHPUnit\Framework\TestCase;

/**
 * Every validation message names its field.
 */
final class FormErrorLabelsTest extends TestCase {

  /**
   * A stand-in of Drupal's markup objects (TranslatableMarkup, Markup).
   */
  private static function markup(string $markup): \Stringable {
    return new class ($markup) implements \Stringable {
      public function __construct(private string $markup) {
      }

      public function __toString(): string {
        return $this->markup;
      }
    };
  }

  /**
   * A built form, as FormBuilder leaves it: #parents on every element.
   *
   * @return array<string, mixed>
   */
  private static function form(): array {
    return [
      '#parents' => [],
      '#title' => 'The form itself',
      'tenant_id' => ['#type' => 'textfield', '#title' => 'Tenant ID', '#parents' => ['tenant_id']],
      'credential_type' => [
        '#type' => 'radios',
        '#title' => 'Credential type',
        '#parents' => ['credential_type'],
        // Radios::processRadios(): each option has the radios' #parents.
        'secret' => ['#type' => 'radio', '#title' => 'Client secret', '#parents' => ['credential_type']],
      ],
      'advanced' => [
        '#type' => 'details',
        '#title' => 'Advanced',
        '#parents' => ['advanced'],
        'timeout_ms' => ['#type' => 'number', '#title' => self::markup('Timeout of one Graph request <em>(ms)</em>'), '#parents' => ['timeout_ms']],
      ],
      'properties' => [
        '#type' => 'table',
        '#parents' => ['properties'],
        '#title' => 'Mapping',
        'field_job' => ['property' => ['#type' => 'select', '#title' => 'Graph property for Job', '#parents' => ['properties', 'field_job', 'property']]],
      ],
      'untitled' => ['#type' => 'hidden', '#parents' => ['untitled']],
    ];
  }

  public function testTitlesAreKeyedByErrorName(): void {
    $titles = FormErrorLabels::titles(self::form());
    $this->assertSame(['tenant_id', 'credential_type', 'advanced', 'timeout_ms', 'properties', 'properties][field_job][property'], array_keys($titles));
    $this->assertSame('Credential type', $titles['credential_type'], 'the radios keep their title, not an option\'s');
    $this->assertInstanceOf(\Stringable::class, $titles['timeout_ms']);
  }

  public function testMessagesWithoutTheirFieldStartWithIt(): void {
    $titles = FormErrorLabels::titles(self::form());
    $errors = [
      'timeout_ms' => 'This value should be of the correct primitive type.',
      'tenant_id' => 'Tenant ID field is required.',
      'credential_type' => 'The value you selected is not a valid choice.',
      'properties][field_job][property' => 'The Graph property must be a property name such as givenName.',
      '' => 'The form has become outdated.',
      'untitled' => 'Something about a hidden value.',
      'properties][field_job' => 'A row error.',
    ];
    $this->assertSame([
      'timeout_ms' => 'Timeout of one Graph request <em>(ms)</em>: This value should be of the correct primitive type.',
      'tenant_id' => 'Tenant ID field is required.',
      'credential_type' => 'Credential type: The value you selected is not a valid choice.',
      'properties][field_job][property' => 'Graph property for Job: The Graph property must be a property name such as givenName.',
      '' => 'The form has become outdated.',
      'untitled' => 'Something about a hidden value.',
      // No title of its own: the closest parent's.
      'properties][field_job' => 'Mapping: A row error.',
    ], FormErrorLabels::rewrite($titles, $errors));
  }

  public function testATitleAlreadyInTheMessageIsNotRepeated(): void {
    $titles = ['tenant_id' => 'Tenant ID', 'timeout_ms' => self::markup('Timeout of one Graph request <em>(ms)</em>')];
    $errors = [
      // Case and markup do not matter.
      'tenant_id' => 'The tenant ID must be a GUID.',
      'timeout_ms' => self::markup('<em class="placeholder">Timeout of one Graph request (ms)</em> must be higher than or equal to 100.'),
    ];
    $this->assertSame($errors, FormErrorLabels::rewrite($titles, $errors));
  }

  public function testTheFormatterBuildsTheMessage(): void {
    $seen = [];
    $rewritten = FormErrorLabels::rewrite(['timeout_ms' => 'Timeout'], ['timeout_ms' => 'Bad.'], static function ($title, $message) use (&$seen): \Stringable {
      $seen[] = [$title, $message];

      return self::markup('<b>' . $title . '</b> ' . $message);
    });
    $this->assertSame([['Timeout', 'Bad.']], $seen);
    $this->assertSame('<b>Timeout</b> Bad.', (string) $rewritten['timeout_ms']);
    $this->assertSame([], FormErrorLabels::rewrite(['a' => 'A'], []));
  }

}
